/**
 * Pure mapping from Bedrock Runtime calls to GenAI requests and outcomes: Converse (the same shape
 * for every model) and InvokeModel, whose JSON bodies are the model family's own (Anthropic
 * Messages, Amazon Nova messages-v1, Meta Llama prompt/generation).
 */
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import * as AM from '../anthropic/messages';
import * as AU from '../anthropic/utils';
import type { InputContent } from '../genai/messages';
import type { TokenUsage } from '../../src/shared/prices';
import * as S from '../shared/semconv';
import type { AttributeMap, LlmOutcome, LlmRequest } from '../genai/types';
import { compact, count, num, obj, serverAttributes, str, strList, type Obj } from '../genai/utils';
import * as BM from './messages';
import * as B from './semconv';
import type { BodyFamily } from './types';

/** The id an ARN ends with (`…:inference-profile/us.anthropic.…` → `us.anthropic.…`); other ids as they are. */
export function baseModelId(modelId: string): string {
  return modelId.startsWith('arn:') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
}

/**
 * Names to price a call by: the Bedrock id itself (an AGENTOPS_PRICE_TABLE entry under that id
 * prices it, and the price source knows Bedrock's ids: in-Region and geographic profiles at their
 * regional price, `global.` profiles at the global one), then the id an ARN ends with.
 */
export function priceModels(modelId: string | undefined): string[] {
  if (modelId === undefined) return [];
  const base = baseModelId(modelId);
  return base !== modelId ? [modelId, base] : [modelId];
}

// Standard and GovCloud partitions, whose default endpoint is bedrock-runtime.{region}.amazonaws.com.
const AWS_REGION = /^(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:gov-)?[a-z]+-\d+$/;

/** `server.*` of a resolved endpoint: the SDK's `{ protocol, hostname, port }`, a URL or a URL string. */
export function endpointServer(endpoint: unknown): AttributeMap {
  if (typeof endpoint === 'string') return serverAttributes(endpoint);
  if (endpoint instanceof URL) return serverAttributes(endpoint.href);
  const e = obj(endpoint);
  if (typeof e.url === 'string' || e.url instanceof URL) return serverAttributes(String(e.url));
  if (typeof e.hostname !== 'string' || e.hostname === '') return {};
  const protocol = (str(e.protocol) ?? 'https').replace(/:?$/, ':');
  const host = e.hostname.includes(':') && !e.hostname.startsWith('[') ? `[${e.hostname}]` : e.hostname;
  return serverAttributes(`${protocol}//${host}${typeof e.port === 'number' || typeof e.port === 'string' ? `:${e.port}` : ''}`);
}

/** `server.*` of the Region's default endpoint; nothing where it is not the plain regional host (FIPS, dual-stack, other partitions). */
export function regionServer(region: unknown, fips: unknown, dualstack: unknown): AttributeMap {
  if (typeof region !== 'string' || !AWS_REGION.test(region) || fips === true || dualstack === true) return {};
  return { [ATTR_SERVER_ADDRESS]: `bedrock-runtime.${region}.amazonaws.com`, [ATTR_SERVER_PORT]: 443 };
}

function request(model: string | undefined, operation: string, streaming: boolean, prompt: unknown, params: AttributeMap, server: AttributeMap, content?: () => InputContent): LlmRequest {
  return {
    provider: B.PROVIDER_AWS_BEDROCK,
    operation,
    requestModel: model,
    streaming,
    prompt,
    content,
    priceModels: priceModels(model),
    attributes: compact({ [S.ATTR_GEN_AI_REQUEST_MODEL]: model, ...params, [S.ATTR_GEN_AI_REQUEST_STREAM]: streaming ? true : undefined, ...server }),
  };
}

function messagesPrompt(system: unknown, messages: unknown): unknown {
  return system !== undefined ? { system, messages } : messages;
}

/** ConverseCommand / ConverseStreamCommand input. */
export function converseRequest(input: unknown, server: AttributeMap, streaming: boolean): LlmRequest {
  const p = obj(input);
  const c = obj(p.inferenceConfig);
  return request(
    str(p.modelId),
    S.OPERATION_CHAT,
    streaming,
    messagesPrompt(p.system, p.messages),
    {
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(c.maxTokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(c.temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(c.topP),
      [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(c.stopSequences),
      [B.ATTR_AWS_BEDROCK_GUARDRAIL_ID]: str(obj(p.guardrailConfig).guardrailIdentifier),
    },
    server,
    () => BM.converseInput(p.messages, p.system),
  );
}

/**
 * Bedrock's input count leaves out the tokens read from and written to the prompt cache;
 * `gen_ai.usage.input_tokens` counts all input tokens (as for OpenAI and Anthropic), so they are
 * added to it, and also reported apart.
 */
function withCache(plain: number | undefined, output: number | undefined, read: number | undefined, write: number | undefined): TokenUsage {
  const input = plain === undefined && read === undefined && write === undefined ? undefined : (plain ?? 0) + (read ?? 0) + (write ?? 0);
  return {
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: read !== undefined && read > 0 ? read : undefined,
    cacheCreationTokens: write !== undefined && write > 0 ? write : undefined,
  };
}

/** Converse `usage` and the stream's `metadata.usage`; also Nova's InvokeModel usage (`…TokenCount` cache names). */
export function converseUsage(u: unknown): TokenUsage {
  const x = obj(u);
  return withCache(count(x.inputTokens), count(x.outputTokens), count(x.cacheReadInputTokens ?? x.cacheReadInputTokenCount), count(x.cacheWriteInputTokens ?? x.cacheWriteInputTokenCount));
}

/** Attributes of the response envelope the SDK adds to every output. */
export function responseAttributes(output: unknown): AttributeMap {
  return compact({ [B.ATTR_AWS_REQUEST_ID]: str(obj(obj(output).$metadata).requestId) });
}

function finish(reason: unknown): string[] {
  const r = str(reason);
  return r !== undefined ? [r] : [];
}

export function converseOutcome(output: unknown): LlmOutcome {
  const o = obj(output);
  const message: unknown = obj(o.output).message;
  return {
    finishReasons: finish(o.stopReason),
    usage: converseUsage(o.usage),
    completion: message !== undefined ? [message] : undefined,
    output: () => BM.converseOutput(message, str(o.stopReason)),
    attributes: responseAttributes(o),
  };
}

interface Block {
  text?: string;
  reasoning?: string;
  toolUse?: { toolUseId?: string; name?: string; input: string };
}

/**
 * Accumulates ConverseStream events (`messageStart`, `contentBlockStart` / `Delta` / `Stop`,
 * `messageStop` with the stop reason, `metadata` with the usage). Nova's InvokeModel stream chunks
 * have the same shapes.
 */
export class ConverseStreamAccumulator {
  private role = 'assistant';
  private stopReason: string | undefined;
  private usage: TokenUsage = {};
  private readonly blocks: Block[] = [];

  constructor(private readonly captureContent: boolean) {}

  private block(index: unknown): Block {
    const i = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < 1000 ? index : this.blocks.length;
    return (this.blocks[i] ??= {});
  }

  add(event: unknown): void {
    const e = obj(event);
    if (e.messageStart !== undefined) {
      this.role = str(obj(e.messageStart).role) ?? this.role;
    } else if (e.contentBlockStart !== undefined) {
      if (!this.captureContent) return;
      const s = obj(e.contentBlockStart);
      const tool = obj(obj(s.start).toolUse);
      if (Object.keys(tool).length > 0) this.block(s.contentBlockIndex).toolUse = { toolUseId: str(tool.toolUseId), name: str(tool.name), input: '' };
    } else if (e.contentBlockDelta !== undefined) {
      if (!this.captureContent) return;
      const d = obj(e.contentBlockDelta);
      const delta = obj(d.delta);
      const block = this.block(d.contentBlockIndex);
      if (typeof delta.text === 'string') block.text = (block.text ?? '') + delta.text;
      const input: unknown = obj(delta.toolUse).input;
      if (typeof input === 'string') (block.toolUse ??= { input: '' }).input += input;
      const reasoning: unknown = obj(delta.reasoningContent).text;
      if (typeof reasoning === 'string') block.reasoning = (block.reasoning ?? '') + reasoning;
    } else if (e.messageStop !== undefined) {
      this.stopReason = str(obj(e.messageStop).stopReason) ?? this.stopReason;
    } else if (e.metadata !== undefined) {
      this.usage = converseUsage(obj(e.metadata).usage);
    }
  }

  outcome(): LlmOutcome {
    const content = this.blocks.filter(Boolean).flatMap((b): Obj[] => {
      const out: Obj[] = [];
      if (b.reasoning !== undefined) out.push({ reasoningContent: { reasoningText: { text: b.reasoning } } });
      if (b.text !== undefined) out.push({ text: b.text });
      if (b.toolUse !== undefined) out.push({ toolUse: { toolUseId: b.toolUse.toolUseId, name: b.toolUse.name, input: parseJson(b.toolUse.input) } });
      return out;
    });
    return {
      finishReasons: this.stopReason !== undefined ? [this.stopReason] : [],
      usage: this.usage,
      completion: this.captureContent && content.length > 0 ? [{ role: this.role, content }] : undefined,
      output: this.captureContent ? () => BM.converseOutput({ role: this.role, content }, this.stopReason) : undefined,
    };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An InvokeModel body (string or bytes) as a JSON object; undefined for anything else. */
export function decodeJson(body: unknown): Obj | undefined {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (ArrayBuffer.isView(body)) text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  else if (body instanceof ArrayBuffer) text = Buffer.from(body).toString('utf8');
  else return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The body family from the model id, else (an opaque ARN or profile) from the request body's shape. */
export function bodyFamily(modelId: string | undefined, body: Obj | undefined): BodyFamily {
  const id = baseModelId(modelId ?? '').toLowerCase();
  if (/^(?:[a-z-]+\.)?anthropic\./.test(id)) return 'anthropic';
  if (/^(?:[a-z-]+\.)?amazon\.nova-/.test(id)) return 'nova';
  if (/^(?:[a-z-]+\.)?meta\.llama/.test(id)) return 'llama';
  const b = obj(body);
  if (typeof b.anthropic_version === 'string') return 'anthropic';
  if (b.schemaVersion === 'messages-v1' || (Array.isArray(b.messages) && b.inferenceConfig !== undefined)) return 'nova';
  if (typeof b.prompt === 'string' && b.max_gen_len !== undefined) return 'llama';
  return 'other';
}

/** InvokeModelCommand / InvokeModelWithResponseStreamCommand input, its body already decoded. */
export function invokeRequest(modelId: string | undefined, family: BodyFamily, body: Obj | undefined, server: AttributeMap, streaming: boolean): LlmRequest {
  const b = obj(body);
  switch (family) {
    case 'anthropic':
      return request(
        modelId,
        S.OPERATION_CHAT,
        streaming,
        messagesPrompt(b.system, b.messages),
        {
          [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(b.max_tokens),
          [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(b.temperature),
          [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(b.top_p),
          [S.ATTR_GEN_AI_REQUEST_TOP_K]: num(b.top_k),
          [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(b.stop_sequences),
        },
        server,
        () => AM.messagesInput(b.messages, b.system),
      );
    case 'nova': {
      const c = obj(b.inferenceConfig);
      return request(
        modelId,
        S.OPERATION_CHAT,
        streaming,
        messagesPrompt(b.system, b.messages),
        {
          [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(c.maxTokens ?? c.max_new_tokens),
          [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(c.temperature),
          [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(c.topP ?? c.top_p),
          [S.ATTR_GEN_AI_REQUEST_TOP_K]: num(c.topK ?? c.top_k),
          [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(c.stopSequences ?? c.stop_sequences),
        },
        server,
        () => BM.converseInput(b.messages, b.system),
      );
    }
    case 'llama':
      return request(
        modelId,
        B.OPERATION_TEXT_COMPLETION,
        streaming,
        b.prompt,
        {
          [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(b.max_gen_len),
          [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(b.temperature),
          [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(b.top_p),
        },
        server,
        () => BM.promptInput(b.prompt),
      );
    default: {
      const operation = /embed/i.test(modelId ?? '')
        ? S.OPERATION_EMBEDDINGS
        : Array.isArray(b.messages)
          ? S.OPERATION_CHAT
          : typeof (b.prompt ?? b.inputText) === 'string'
            ? B.OPERATION_TEXT_COMPLETION
            : S.OPERATION_CHAT;
      return request(
        modelId,
        operation,
        streaming,
        b.messages ?? b.prompt ?? b.inputText,
        {
          [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(b.max_tokens),
          [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(b.temperature),
          [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(b.top_p),
          [S.ATTR_GEN_AI_REQUEST_TOP_K]: num(b.top_k),
        },
        server,
        typeof (b.prompt ?? b.inputText) === 'string' ? () => BM.promptInput(b.prompt ?? b.inputText) : undefined,
      );
    }
  }
}

/**
 * Token counts the service adds to the last chunk of an InvokeModel stream
 * (`amazon-bedrock-invocationMetrics`), for whatever the model's own events did not report.
 */
export function withInvocationMetrics(u: TokenUsage, metrics: unknown): TokenUsage {
  if (metrics === undefined) return u;
  const m = obj(metrics);
  const fromMetrics = withCache(count(m.inputTokenCount), count(m.outputTokenCount), count(m.cacheReadInputTokenCount), count(m.cacheWriteInputTokenCount));
  if (u.inputTokens === undefined && u.outputTokens === undefined) return fromMetrics;
  return { ...u, inputTokens: u.inputTokens ?? fromMetrics.inputTokens, outputTokens: u.outputTokens ?? fromMetrics.outputTokens };
}

export const METRICS_KEY = 'amazon-bedrock-invocationMetrics';

export function llamaUsage(b: Obj): TokenUsage {
  return { inputTokens: count(b.prompt_token_count), outputTokens: count(b.generation_token_count ?? b.generation_count) };
}

/** The InvokeModel response body, read per family. */
export function invokeOutcome(family: BodyFamily, body: Obj | undefined): LlmOutcome {
  const b = obj(body);
  let out: LlmOutcome;
  switch (family) {
    case 'anthropic':
      out = AU.messageOutcome(b);
      break;
    case 'nova': {
      const message: unknown = obj(b.output).message;
      out = {
        finishReasons: finish(b.stopReason),
        usage: converseUsage(b.usage),
        completion: message !== undefined ? [message] : undefined,
        output: () => BM.converseOutput(message, str(b.stopReason)),
      };
      break;
    }
    case 'llama':
      out = {
        finishReasons: finish(b.stop_reason),
        usage: llamaUsage(b),
        completion: typeof b.generation === 'string' ? [{ role: 'assistant', content: b.generation }] : undefined,
        output: () => BM.generationOutput(str(b.generation) ?? undefined, str(b.stop_reason)),
      };
      break;
    default:
      out = { usage: {} };
  }
  return { ...out, usage: withInvocationMetrics(out.usage, b[METRICS_KEY]) };
}
