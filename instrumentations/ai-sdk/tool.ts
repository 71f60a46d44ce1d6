/**
 * One tool execution of an AI SDK call as one span: in a session a `ToolEvent` run by
 * `session.runEvent` (open while the tool runs, so what the tool does nests under it; a throw
 * records an ErrorEvent and sets ERROR), outside one an `execute_tool {name}` span of its own.
 * The tool's result and error reach the SDK untouched.
 */
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ToolEvent } from '../../src/client';
import { stats } from '../../src/shared/stats';
import { toAttributeText } from '../../src/shared/serialize';
import * as AS from '../agentops/semconv';
import type { Placement } from '../genai/framework-span';
import * as S from '../shared/semconv';
import { markSpanError } from '../genai/span-error';
import type { GenAiOptions } from '../genai/types';
import * as A from './semconv';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ToolDeps {
  tracer(): Tracer;
  options(): GenAiOptions;
}

function toolCallId(opts: unknown): string | undefined {
  const id = (opts as { toolCallId?: unknown } | null)?.toolCallId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

export function runTool(deps: ToolDeps, place: Placement, name: string, execute: AnyFn, thisArg: unknown, args: unknown[]): unknown {
  const attributes: Record<string, string> = { [S.ATTR_GEN_AI_TOOL_NAME]: name, [A.ATTR_GEN_AI_TOOL_TYPE]: 'function' };
  const id = toolCallId(args[1]);
  if (id !== undefined) attributes[A.ATTR_GEN_AI_TOOL_CALL_ID] = id;
  const { session } = place;
  if (session !== undefined && !session.ended) {
    const event = new ToolEvent({ name, params: args[0], agentId: place.agentId, attributes });
    return context.with(place.ctx, () => session.runEvent(event, () => execute.apply(thisArg, args)));
  }
  const o = deps.options();
  stats.spanCreated('tools');
  const span = deps.tracer().startSpan(
    `${S.OPERATION_EXECUTE_TOOL} ${name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [ATTR_SERVICE_NAME]: o.serviceName,
        [AS.ATTR_SPAN_KIND]: 'tools',
        [S.ATTR_GEN_AI_OPERATION_NAME]: S.OPERATION_EXECUTE_TOOL,
        ...attributes,
        ...(o.captureContent && args[0] !== undefined ? { [S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: toAttributeText(args[0], o.maxAttributeLength) } : {}),
      },
    },
    place.ctx,
  );
  const fail = (err: unknown): void => {
    markSpanError(span, err, o.captureContent);
    span.end();
  };
  const ok = (value: unknown): void => {
    if (o.captureContent && value !== undefined) span.setAttribute(S.ATTR_GEN_AI_TOOL_CALL_RESULT, toAttributeText(value, o.maxAttributeLength));
    span.end();
  };
  let result: unknown;
  try {
    result = context.with(trace.setSpan(place.ctx, span), () => execute.apply(thisArg, args));
  } catch (err) {
    fail(err);
    throw err;
  }
  if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
    // A derived branch: the SDK keeps the original promise and sees its rejection itself.
    (result as PromiseLike<unknown>).then(ok, fail);
  } else {
    ok(result);
  }
  return result;
}
