/**
 * The preload: `node --require agentops-otel/register app.js` (CommonJS) or
 * `node --import agentops-otel/register app.mjs` (ESM). Nothing here may throw into the app.
 */
import { isLoaderHooksThread, isOwnHelper } from './src/shared/loader-thread';

// The SDK is required lazily: in the ESM loader thread nothing but this check runs.
if (!isLoaderHooksThread() && !isOwnHelper()) {
  try {
    (require('./src/preload/sdk') as typeof import('./src/preload/sdk')).startTelemetry();
  } catch (err) {
    try {
      (require('./src/shared/logger') as typeof import('./src/shared/logger')).logger.error('agentops-otel could not start; the app runs without tracing', { error: err });
    } catch {
      // Not even the logger loads: stay silent rather than hurt the app.
    }
  }
}
