/**
 * Mocha root hooks: process-wide test resources are released once, after every suite has run.
 */
import { removeChildSpoolDirs } from './child';
import { shutdownTestServer } from './postgres';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    // Filled by the helpers that start shared resources (see test/helpers/postgres.ts).
    await shutdownTestServer();
    removeChildSpoolDirs();
  },
};
