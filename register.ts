/**
 * The preload: `node --require agentops-otel/register app.js` (CommonJS) or
 * `node --import agentops-otel/register app.mjs` (ESM). Nothing here may throw into the app.
 */
import { logger } from './src/telemetry/logger';
import { startTelemetry } from './src/telemetry/sdk';

try {
  startTelemetry();
} catch (err) {
  logger.error('agentops-otel could not start; the app runs without tracing', { error: err });
}
