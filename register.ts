/**
 * The preload: `node --require agentops-otel/register app.js` (CommonJS) or
 * `node --import agentops-otel/register app.mjs` (ESM). Nothing here may throw into the app.
 */
import { isLoaderHooksThread } from './src/telemetry/loader-thread';

// The export worker and the replay helper may inherit a preload through NODE_OPTIONS: they mark
// their environment so that it stays inert there.
const ownHelper = process.env.__AGENTOPS_OTEL_EXPORT_THREAD === '1' || process.env.__AGENTOPS_OTEL_REPLAY_HELPER !== undefined;

// The SDK is required lazily: in the ESM loader thread nothing but this check runs.
if (!isLoaderHooksThread() && !ownHelper) {
  try {
    (require('./src/telemetry/sdk') as typeof import('./src/telemetry/sdk')).startTelemetry();
  } catch (err) {
    try {
      (require('./src/telemetry/logger') as typeof import('./src/telemetry/logger')).logger.error('agentops-otel could not start; the app runs without tracing', { error: err });
    } catch {
      // Not even the logger loads: stay silent rather than hurt the app.
    }
  }
}
