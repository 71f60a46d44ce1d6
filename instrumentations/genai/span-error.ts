/** Marking a span as failed the same way everywhere: `error.type`, status ERROR, a message only when content is captured. */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { errorAttributes } from './recorder';

export function markSpanError(span: Span | undefined, err: unknown, captureContent: boolean): void {
  if (span === undefined) return;
  const type = errorAttributes(err)[ATTR_ERROR_TYPE];
  span.setAttribute(ATTR_ERROR_TYPE, typeof type === 'string' ? type : '_OTHER');
  span.setStatus({ code: SpanStatusCode.ERROR, message: captureContent && err instanceof Error ? err.message : undefined });
}
