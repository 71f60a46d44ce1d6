/**
 * Mocha root hooks: process-wide test resources are released after the last suite of a process.
 */
import { removeChildSpoolDirs } from './child';
import { shutdownTestServer, shutdownTestServerAtExit } from './postgres';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    // Filled by the helpers that start shared resources (see test/helpers/postgres.ts). In
    // parallel mode (npm test) this runs after each file of a worker, which keeps its server.
    if (process.env.MOCHA_WORKER_ID !== undefined) shutdownTestServerAtExit();
    else await shutdownTestServer();
    removeChildSpoolDirs();
  },
};
