/**
 * ESM: `import` of a package is not seen by require-in-the-middle, so the preload registers the
 * import-in-the-middle loader hook (esm-loader.mts, over @opentelemetry/instrumentation's `hook.mjs`,
 * the copy InstrumentationBase's own `Hook` calls talk to), limited to the packages we patch: other modules
 * load untouched. Works from `--import` and from `--require` (Node >= 20.6). Registered once.
 */
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOADER_THREAD_MARK } from './loader-thread';
import { logger } from './logger';

const SLOT = Symbol.for('agentops-otel.esm-hook');

/** `modules`: bare package names, or patterns of file URLs (files a package imports by relative path). */
export function registerEsmHook(modules: readonly (string | RegExp)[]): boolean {
  const g = globalThis as Record<symbol, unknown>;
  if (modules.length === 0 || g[SLOT] === true) return false;
  const register = (nodeModule as { register?: (specifier: string, parentURL: URL, options?: unknown) => void }).register;
  if (typeof register !== 'function') {
    logger.warn('this Node.js has no module.register(): ESM imports of LLM SDKs are not instrumented (CommonJS require still is)');
    return false;
  }
  process.env[LOADER_THREAD_MARK] = '1';
  try {
    register(pathToFileURL(path.join(__dirname, 'esm-loader.mjs')).href as unknown as string, pathToFileURL(__filename), { data: { include: [...modules] } });
    Object.defineProperty(g, SLOT, { value: true, enumerable: false, configurable: true });
    return true;
  } catch (err) {
    logger.warn('could not register the ESM loader hook: ESM imports of LLM SDKs are not instrumented', { error: err });
    return false;
  } finally {
    delete process.env[LOADER_THREAD_MARK];
  }
}
