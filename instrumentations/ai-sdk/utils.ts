/**
 * Pure mapping from the AI SDK's provider contract (LanguageModel / EmbeddingModel specification
 * v2 to v4: `doGenerate`, `doStream` parts, `doEmbed`) to GenAI attributes and usage. Read
 * loosely: what a version does not have is left out.
 */
import type { TokenUsage } from '../../src/shared/prices';
import * as S from '../shared/semconv';
import type { AttributeMap, LlmOutcome, LlmRequest } from '../genai/types';
import { compact, count, num, obj, str, strList, type Obj } from '../genai/utils';
import * as A from './semconv';
import type { ModelLike } from './types';

/** The `provider` of the AI Gateway's models (@ai-sdk/gateway). */
const GATEWAY_PROVIDER = 'gateway';

const PROVIDERS: Record<string, string> = {
  openai: S.PROVIDER_OPENAI,
  azure: 'azure.ai.openai',
  anthropic: S.PROVIDER_ANTHROPIC,
  google: S.PROVIDER_GCP_GEMINI,
  'google.generative-ai': S.PROVIDER_GCP_GEMINI,
  'google.vertex': S.PROVIDER_GCP_VERTEX_AI,
  vertex: S.PROVIDER_GCP_VERTEX_AI,
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
};

/** `gen_ai.provider.name` from a model's `provider` (`openai.responses`, `google.vertex.chat`, ...). */
export function providerName(provider: unknown): string {
  const p = str(provider)?.toLowerCase();
  if (p === undefined) return 'unknown';
  const parts = p.split('.');
  return PROVIDERS[`${parts[0]}.${parts[1]}`] ?? PROVIDERS[parts[0]] ?? parts[0];
}

/** Token usage: specification v3/v4 (`inputTokens.total`, `.cacheRead`, ...) or v2 (plain numbers). */
export function usageOf(u: unknown): TokenUsage & { reasoningTokens?: number } {
  const usage = obj(u);
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  if (input !== null && typeof input === 'object') {
    const i = obj(input);
    const o = obj(output);
    return {
      inputTokens: count(i.total),
      outputTokens: count(o.total),
      cacheReadTokens: positive(count(i.cacheRead)),
      cacheCreationTokens: positive(count(i.cacheWrite)),
      reasoningTokens: positive(count(o.reasoning)),
    };
  }
  return {
    inputTokens: count(input),
    outputTokens: count(output),
    cacheReadTokens: positive(count(usage.cachedInputTokens)),
    reasoningTokens: positive(count(usage.reasoningTokens)),
  };
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

/** The provider's own reason when the SDK kept it, else the SDK's unified one. */
export function finishReasons(reason: unknown): string[] {
  if (typeof reason === 'string') return [reason];
  const r = obj(reason);
  const one = str(r.raw) ?? str(r.unified);
  return one === undefined ? [] : [one];
}

/**
 * Who serves a model, and by what name it is priced. The AI Gateway's model ids name their
 * provider first (`openai/gpt-4o-mini`): the provider is that one, priced by the name after it,
 * and the span says the gateway carried the call.
 */
export function servedBy(model: ModelLike): Pick<LlmRequest, 'provider' | 'priceModels'> & { attributes: AttributeMap } {
  const id = str(model.modelId);
  const slash = id?.indexOf('/') ?? -1;
  if (str(model.provider) === GATEWAY_PROVIDER && id !== undefined && slash > 0 && slash < id.length - 1) {
    return { provider: providerName(id.slice(0, slash)), priceModels: [id.slice(slash + 1)], attributes: { [A.ATTR_AI_SDK_PROVIDER]: GATEWAY_PROVIDER } };
  }
  return { provider: providerName(model.provider), attributes: {} };
}

export function languageRequest(model: ModelLike, options: unknown, streaming: boolean): LlmRequest {
  const o = obj(options);
  const format = obj(o.responseFormat).type;
  const served = servedBy(model);
  return {
    provider: served.provider,
    priceModels: served.priceModels,
    operation: S.OPERATION_CHAT,
    requestModel: str(model.modelId),
    streaming,
    prompt: o.prompt,
    attributes: compact({
      ...served.attributes,
      [S.ATTR_GEN_AI_REQUEST_MODEL]: str(model.modelId),
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(o.maxOutputTokens) ?? num(o.maxTokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(o.temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(o.topP),
      [S.ATTR_GEN_AI_REQUEST_TOP_K]: num(o.topK),
      [S.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: num(o.frequencyPenalty),
      [S.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: num(o.presencePenalty),
      [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(o.stopSequences),
      [S.ATTR_GEN_AI_REQUEST_SEED]: num(o.seed),
      [S.ATTR_GEN_AI_OUTPUT_TYPE]: format === 'json' ? 'json' : format === 'text' ? 'text' : undefined,
      ...(streaming ? { [S.ATTR_GEN_AI_REQUEST_STREAM]: true } : {}),
    }),
  };
}

function usageAttributes(usage: ReturnType<typeof usageOf>): AttributeMap {
  return compact({ [S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: usage.reasoningTokens });
}

/** A `doGenerate` result. */
export function generateOutcome(result: unknown, captureContent: boolean): LlmOutcome {
  const r = obj(result);
  const response = obj(r.response);
  const usage = usageOf(r.usage);
  return {
    responseModel: str(response.modelId),
    responseId: str(response.id),
    finishReasons: finishReasons(r.finishReason),
    usage,
    completion: captureContent && Array.isArray(r.content) ? r.content : captureContent ? (r.text ?? undefined) : undefined,
    attributes: usageAttributes(usage),
  };
}

/** Follows the parts of a `doStream` stream: response metadata, text, tool calls, and the `finish` part's usage. */
export class StreamPartsAccumulator {
  private id: string | undefined;
  private model: string | undefined;
  private reasons: string[] = [];
  private usage: ReturnType<typeof usageOf> = {};
  private text = '';
  private readonly toolCalls: Obj[] = [];
  /** The error an `error` part carried, if any. */
  error: unknown;

  constructor(private readonly captureContent: boolean) {}

  add(part: unknown): void {
    const p = obj(part);
    switch (p.type) {
      case 'response-metadata':
        this.id ??= str(p.id);
        this.model ??= str(p.modelId);
        break;
      case 'text-delta':
        if (this.captureContent) this.text += typeof p.delta === 'string' ? p.delta : typeof p.textDelta === 'string' ? p.textDelta : '';
        break;
      case 'tool-call':
        if (this.captureContent) this.toolCalls.push({ type: 'tool-call', toolCallId: p.toolCallId, toolName: p.toolName, input: p.input ?? p.args });
        break;
      case 'finish':
        this.reasons = finishReasons(p.finishReason);
        this.usage = usageOf(p.usage);
        break;
      case 'error':
        this.error ??= p.error ?? new Error('stream error part');
        break;
    }
  }

  outcome(): LlmOutcome {
    const content: Obj[] = [];
    if (this.text !== '') content.push({ type: 'text', text: this.text });
    content.push(...this.toolCalls);
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: this.reasons,
      usage: this.usage,
      completion: this.captureContent && content.length > 0 ? content : undefined,
      attributes: usageAttributes(this.usage),
    };
  }
}

export function embedRequest(model: ModelLike, options: unknown): LlmRequest {
  const o = obj(options);
  const served = servedBy(model);
  return {
    provider: served.provider,
    priceModels: served.priceModels,
    operation: S.OPERATION_EMBEDDINGS,
    requestModel: str(model.modelId),
    streaming: false,
    prompt: o.values,
    attributes: compact({ ...served.attributes, [S.ATTR_GEN_AI_REQUEST_MODEL]: str(model.modelId) }),
  };
}

/** A `doEmbed` result: `usage.tokens` are input tokens. */
export function embedOutcome(result: unknown): LlmOutcome {
  const r = obj(result);
  const first = Array.isArray(r.embeddings) ? r.embeddings[0] : undefined;
  return {
    responseModel: str(obj(r.response).modelId),
    usage: { inputTokens: count(obj(r.usage).tokens) },
    attributes: compact({ [S.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: Array.isArray(first) ? first.length : undefined }),
  };
}
