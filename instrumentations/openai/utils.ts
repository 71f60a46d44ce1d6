/**
 * Pure mapping from OpenAI requests, responses and stream chunks to GenAI attributes and usage.
 * Loosely typed on purpose: it reads what v4 to v7 return and ignores what it does not know.
 */
import * as S from '../shared/semconv';
import type { AttributeMap, LlmOutcome, LlmRequest } from '../genai/types';
import { compact, count, num, obj, str, strList, type Obj } from '../genai/utils';
import { chatInput, chatOutput, responseOutput, responsesInput } from './messages';
import * as O from './semconv';

/** `azure.ai.openai` for a client of the module's `AzureOpenAI` class, else `openai`. */
export function providerOf(client: unknown, azureClass: unknown): string {
  return typeof azureClass === 'function' && client instanceof (azureClass as new () => unknown) ? O.PROVIDER_AZURE_OPENAI : S.PROVIDER_OPENAI;
}

export function withProvider(req: LlmRequest, provider: string): LlmRequest {
  return req.provider === provider ? req : { ...req, provider };
}

function outputType(format: unknown): string | undefined {
  const t = obj(format).type;
  if (t === 'json_object' || t === 'json_schema') return 'json';
  if (t === 'text') return 'text';
  return undefined;
}

export function chatRequest(body: unknown, server: AttributeMap): LlmRequest {
  const b = obj(body);
  const n = num(b.n);
  return {
    provider: S.PROVIDER_OPENAI,
    operation: S.OPERATION_CHAT,
    requestModel: str(b.model),
    streaming: b.stream === true,
    prompt: b.messages,
    content: () => chatInput(b.messages),
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: str(b.model),
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(b.max_completion_tokens) ?? num(b.max_tokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(b.temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(b.top_p),
      [S.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: num(b.frequency_penalty),
      [S.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: num(b.presence_penalty),
      [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(b.stop),
      [S.ATTR_GEN_AI_REQUEST_SEED]: num(b.seed),
      [S.ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: n !== undefined && n !== 1 ? n : undefined,
      [S.ATTR_GEN_AI_OUTPUT_TYPE]: outputType(b.response_format),
      [O.ATTR_OPENAI_REQUEST_SERVICE_TIER]: str(b.service_tier),
      ...server,
    }),
  };
}

/** Usage of Chat Completions and Embeddings (`prompt_tokens`) or Responses (`input_tokens`). */
export function usageOf(u: unknown): LlmOutcome['usage'] {
  const usage = obj(u);
  const input = count(usage.prompt_tokens) ?? count(usage.input_tokens);
  const output = count(usage.completion_tokens) ?? count(usage.output_tokens);
  const cached = count(obj(usage.prompt_tokens_details).cached_tokens) ?? count(obj(usage.input_tokens_details).cached_tokens);
  return { inputTokens: input, outputTokens: output, cacheReadTokens: cached !== undefined && cached > 0 ? cached : undefined };
}

export function chatOutcome(completion: unknown): LlmOutcome {
  const c = obj(completion);
  const choices: Obj[] = Array.isArray(c.choices) ? c.choices : [];
  return {
    responseModel: str(c.model),
    responseId: str(c.id),
    finishReasons: choices.map((ch) => str(ch.finish_reason)).filter((r): r is string => r !== undefined),
    usage: usageOf(c.usage),
    completion: choices.length > 0 ? choices.map((ch) => ch.message) : undefined,
    output: () => chatOutput(choices.map((ch) => ({ message: ch.message, finishReason: str(ch.finish_reason) }))),
    attributes: compact({
      [O.ATTR_OPENAI_RESPONSE_SERVICE_TIER]: str(c.service_tier),
      [O.ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT]: str(c.system_fingerprint),
    }),
  };
}

interface ChoiceState {
  role?: string;
  content: string;
  finishReason?: string;
  toolCalls: Array<{ id?: string; type?: string; function: { name: string; arguments: string } }>;
}

/** Accumulates `chat.completion.chunk`s: ids, finish reasons, text, tool calls, and the final usage chunk. */
export class ChatStreamAccumulator {
  private id: string | undefined;
  private model: string | undefined;
  private usage: unknown;
  private serviceTier: string | undefined;
  private fingerprint: string | undefined;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(private readonly captureContent: boolean) {}

  add(chunk: unknown): void {
    const c = obj(chunk);
    this.id ??= str(c.id);
    this.model ??= str(c.model);
    this.serviceTier ??= str(c.service_tier);
    this.fingerprint ??= str(c.system_fingerprint);
    if (c.usage !== undefined && c.usage !== null) this.usage = c.usage;
    if (!Array.isArray(c.choices)) return;
    for (const ch of c.choices as Obj[]) {
      const index = typeof ch.index === 'number' ? ch.index : 0;
      let st = this.choices.get(index);
      if (st === undefined) {
        st = { content: '', toolCalls: [] };
        this.choices.set(index, st);
      }
      if (typeof ch.finish_reason === 'string') st.finishReason = ch.finish_reason;
      if (!this.captureContent) continue;
      const delta = obj(ch.delta);
      if (typeof delta.role === 'string') st.role = delta.role;
      if (typeof delta.content === 'string') st.content += delta.content;
      if (Array.isArray(delta.tool_calls)) {
        for (const tc of delta.tool_calls as Obj[]) {
          const i = typeof tc.index === 'number' ? tc.index : st.toolCalls.length;
          const call = (st.toolCalls[i] ??= { function: { name: '', arguments: '' } });
          if (typeof tc.id === 'string') call.id = tc.id;
          if (typeof tc.type === 'string') call.type = tc.type;
          const fn = obj(tc.function);
          if (typeof fn.name === 'string') call.function.name += fn.name;
          if (typeof fn.arguments === 'string') call.function.arguments += fn.arguments;
        }
      }
    }
  }

  outcome(): LlmOutcome {
    const ordered = [...this.choices.entries()].sort((a, b) => a[0] - b[0]).map(([, st]) => st);
    const messages = ordered.map((st) => ({ role: st.role ?? 'assistant', content: st.content, ...(st.toolCalls.length > 0 ? { tool_calls: st.toolCalls.filter(Boolean) } : {}) }));
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: ordered.map((st) => st.finishReason).filter((r): r is string => r !== undefined),
      usage: usageOf(this.usage),
      completion: this.captureContent && ordered.length > 0 ? messages : undefined,
      output: this.captureContent ? () => chatOutput(messages.map((message, i) => ({ message, finishReason: ordered[i].finishReason }))) : undefined,
      attributes: compact({
        [O.ATTR_OPENAI_RESPONSE_SERVICE_TIER]: this.serviceTier,
        [O.ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT]: this.fingerprint,
      }),
    };
  }
}

export function responsesRequest(body: unknown, server: AttributeMap): LlmRequest {
  const b = obj(body);
  return {
    provider: S.PROVIDER_OPENAI,
    operation: S.OPERATION_CHAT,
    requestModel: str(b.model),
    streaming: b.stream === true,
    prompt: b.instructions !== undefined ? { instructions: b.instructions, input: b.input } : b.input,
    content: () => responsesInput(b.input, b.instructions),
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: str(b.model),
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(b.max_output_tokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(b.temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(b.top_p),
      [S.ATTR_GEN_AI_OUTPUT_TYPE]: outputType(obj(b.text).format),
      [O.ATTR_OPENAI_REQUEST_SERVICE_TIER]: str(b.service_tier),
      ...server,
    }),
  };
}

/** A Responses API `response` object: status as finish reason, usage, output items as completion. */
export function responseOutcome(response: unknown): LlmOutcome {
  const r = obj(response);
  const status = str(r.status);
  const reason = str(obj(r.incomplete_details).reason);
  return {
    responseModel: str(r.model),
    responseId: str(r.id),
    finishReasons: status === undefined ? [] : status === 'incomplete' && reason !== undefined ? [reason] : [status],
    usage: usageOf(r.usage),
    completion: Array.isArray(r.output) ? r.output : undefined,
    output: () => responseOutput(r),
    attributes: compact({ [O.ATTR_OPENAI_RESPONSE_SERVICE_TIER]: str(r.service_tier) }),
  };
}

/** Responses API stream: the last `response` carried by an event (created, then completed / incomplete / failed). */
export class ResponsesStreamAccumulator {
  private last: unknown;
  add(event: unknown): void {
    const e = obj(event);
    if (typeof e.type === 'string' && e.type.startsWith('response.') && e.response !== undefined && e.response !== null) this.last = e.response;
  }
  outcome(): LlmOutcome {
    return this.last === undefined ? { usage: {} } : responseOutcome(this.last);
  }
}

export function embeddingsRequest(body: unknown, server: AttributeMap): LlmRequest {
  const b = obj(body);
  return {
    provider: S.PROVIDER_OPENAI,
    operation: S.OPERATION_EMBEDDINGS,
    requestModel: str(b.model),
    streaming: false,
    prompt: b.input,
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: str(b.model),
      [S.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS]: strList(b.encoding_format),
      [S.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: num(b.dimensions),
      ...server,
    }),
  };
}

export function embeddingsOutcome(response: unknown): LlmOutcome {
  const r = obj(response);
  const first = Array.isArray(r.data) ? obj(r.data[0]) : {};
  const dims = Array.isArray(first.embedding) ? first.embedding.length : undefined;
  const usage = usageOf(r.usage);
  return {
    responseModel: str(r.model),
    usage: { inputTokens: usage.inputTokens },
    attributes: compact({ [S.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: dims }),
  };
}
