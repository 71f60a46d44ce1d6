import { isMainThread } from 'node:worker_threads';

/**
 * Set only while our `module.register()` call runs: the loader hooks thread it starts copies the
 * environment then. Under `--require`, Node 20 runs the preload in that thread too; it must not
 * start a second pipeline there, nor even load the SDK (the main thread waits for that thread
 * to start, so everything it loads is start-up time of the app).
 */
export const LOADER_THREAD_MARK = '__AGENTOPS_OTEL_LOADER_THREAD';

/** True in the loader hooks thread our `register()` started. Imports nothing heavy on purpose. */
export function isLoaderHooksThread(): boolean {
  return !isMainThread && process.env[LOADER_THREAD_MARK] === '1';
}

/** Marks the export worker's environment, so a preload loaded in it (NODE_OPTIONS) stays inert. */
export const ENGINE_THREAD_MARK = '__AGENTOPS_OTEL_EXPORT_THREAD';
/** Marks the replay helper's environment (its value is the parent's pid), for the same reason. */
export const REPLAY_HELPER_MARK = '__AGENTOPS_OTEL_REPLAY_HELPER';

/** True in the export worker or the replay helper, which may inherit the preload through NODE_OPTIONS. */
export function isOwnHelper(): boolean {
  return process.env[ENGINE_THREAD_MARK] === '1' || process.env[REPLAY_HELPER_MARK] !== undefined;
}
