/**
 * The GenAI client metrics of the conventions (1.42.0): `gen_ai.client.operation.duration`
 * (histogram, seconds, every call, with `error.type` when it failed) and
 * `gen_ai.client.token.usage` (histogram, `{token}`, one record per token type the provider
 * reported). Recorded through the instrumentation's own meter: with no meter provider (metrics
 * off) the instruments are the API's no-op ones.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import * as S from '../shared/semconv';
import type { LlmOutcome, LlmRequest } from './types';

export const METRIC_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';

/** The bucket boundaries the conventions ask for. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

interface Instruments {
  duration: Histogram;
  tokens: Histogram;
}

const byMeter = new WeakMap<Meter, Instruments>();

function instruments(meter: Meter): Instruments {
  let i = byMeter.get(meter);
  if (i === undefined) {
    i = {
      duration: meter.createHistogram(METRIC_OPERATION_DURATION, { description: 'GenAI operation duration.', unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } }),
      tokens: meter.createHistogram(METRIC_TOKEN_USAGE, { description: 'Number of input and output tokens used.', unit: '{token}', advice: { explicitBucketBoundaries: TOKEN_BUCKETS } }),
    };
    byMeter.set(meter, i);
  }
  return i;
}

/** The attributes both metrics carry: operation, provider, models, server; never content. */
export function metricAttributes(req: LlmRequest, outcome: LlmOutcome | undefined): Attributes {
  const attrs: Attributes = { [S.ATTR_GEN_AI_OPERATION_NAME]: req.operation, [S.ATTR_GEN_AI_PROVIDER_NAME]: req.provider };
  if (req.requestModel !== undefined) attrs[S.ATTR_GEN_AI_REQUEST_MODEL] = req.requestModel;
  if (outcome?.responseModel !== undefined) attrs[S.ATTR_GEN_AI_RESPONSE_MODEL] = outcome.responseModel;
  const address = req.attributes[ATTR_SERVER_ADDRESS];
  const port = req.attributes[ATTR_SERVER_PORT];
  if (typeof address === 'string') attrs[ATTR_SERVER_ADDRESS] = address;
  if (typeof port === 'number') attrs[ATTR_SERVER_PORT] = port;
  return attrs;
}

/** One finished call: its duration, and its input and output tokens when the provider reported them. */
export function recordCallMetrics(meter: Meter, req: LlmRequest, seconds: number, outcome: LlmOutcome | undefined, errorType: string | undefined): void {
  const i = instruments(meter);
  const attrs = metricAttributes(req, outcome);
  i.duration.record(seconds, errorType !== undefined ? { ...attrs, [ATTR_ERROR_TYPE]: errorType } : attrs);
  const input = outcome?.usage.inputTokens;
  const output = outcome?.usage.outputTokens;
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) i.tokens.record(input, { ...attrs, [ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
  if (typeof output === 'number' && Number.isFinite(output) && output >= 0) i.tokens.record(output, { ...attrs, [ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
}
