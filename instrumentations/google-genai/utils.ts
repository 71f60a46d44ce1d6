/**
 * Pure mapping from @google/genai requests (`models.generateContent`, `generateContentStream`,
 * `embedContent`) and their responses and stream chunks to GenAI attributes and usage. Loosely
 * typed on purpose: it reads what the Gemini Developer API and Vertex AI return and ignores the rest.
 */
import * as S from '../shared/semconv';
import type { AttributeMap, LlmOutcome, LlmRequest } from '../genai/types';
import { compact, count, num, obj, str, strList, type Obj } from '../genai/utils';
import { candidatesOutput, generateInput } from './messages';

/** Where a call goes, as known from the client: the backend and its base URL's host and port. */
export interface CallTarget {
  vertex: boolean;
  server: AttributeMap;
}

export function providerName(vertex: boolean): string {
  return vertex ? S.PROVIDER_GCP_VERTEX_AI : S.PROVIDER_GCP_GEMINI;
}

/**
 * The model id a resource name refers to: `models/gemini-2.5-flash` and
 * `projects/p/locations/l/publishers/google/models/gemini-2.5-flash` are both `gemini-2.5-flash`,
 * so that span names, and price lookups, do not depend on how the app spelled it.
 */
export function modelId(model: unknown): string | undefined {
  const name = str(model);
  if (name === undefined) return undefined;
  const m = /(?:^|\/)models\/([^/]+)$/.exec(name);
  return m !== null ? m[1] : name;
}

function outputType(mime: unknown): string | undefined {
  if (mime === 'application/json' || mime === 'text/x.enum') return 'json';
  if (mime === 'text/plain') return 'text';
  return undefined;
}

/** `generateContent` / `generateContentStream` (and chat sends, which call them). */
export function generateRequest(params: unknown, target: CallTarget, streaming: boolean): LlmRequest {
  const p = obj(params);
  const c = obj(p.config);
  const model = modelId(p.model);
  const n = num(c.candidateCount);
  return {
    provider: providerName(target.vertex),
    operation: S.OPERATION_GENERATE_CONTENT,
    requestModel: model,
    streaming,
    prompt: c.systemInstruction !== undefined ? { systemInstruction: c.systemInstruction, contents: p.contents } : p.contents,
    content: () => generateInput(p.contents, c.systemInstruction),
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: model,
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(c.maxOutputTokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(c.temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(c.topP),
      [S.ATTR_GEN_AI_REQUEST_TOP_K]: num(c.topK),
      [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(c.stopSequences),
      [S.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: num(c.frequencyPenalty),
      [S.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: num(c.presencePenalty),
      [S.ATTR_GEN_AI_REQUEST_SEED]: num(c.seed),
      [S.ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: n !== undefined && n !== 1 ? n : undefined,
      [S.ATTR_GEN_AI_OUTPUT_TYPE]: outputType(c.responseMimeType),
      [S.ATTR_GEN_AI_REQUEST_STREAM]: streaming ? true : undefined,
      ...target.server,
    }),
  };
}

export function embedRequest(params: unknown, target: CallTarget): LlmRequest {
  const p = obj(params);
  const model = modelId(p.model);
  return {
    provider: providerName(target.vertex),
    operation: S.OPERATION_EMBEDDINGS,
    requestModel: model,
    streaming: false,
    prompt: p.contents,
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: model,
      [S.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: num(obj(p.config).outputDimensionality),
      ...target.server,
    }),
  };
}

export interface GeminiUsage {
  usage: LlmOutcome['usage'];
  reasoningTokens?: number;
}

/**
 * `usageMetadata` to GenAI usage. `promptTokenCount` already counts the cached part
 * (`cachedContentTokenCount`) but not the tool-use prompt, which is input too; thinking tokens are
 * billed and reported as output, so they are part of the output tokens as well as reported apart.
 */
export function usageOf(u: unknown): GeminiUsage {
  const m = obj(u);
  const prompt = count(m.promptTokenCount);
  const toolPrompt = count(m.toolUsePromptTokenCount);
  const candidates = count(m.candidatesTokenCount);
  const thoughts = count(m.thoughtsTokenCount);
  const cached = count(m.cachedContentTokenCount);
  const sum = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  return {
    usage: {
      inputTokens: sum(prompt, toolPrompt),
      outputTokens: sum(candidates, thoughts),
      cacheReadTokens: cached !== undefined && cached > 0 ? cached : undefined,
    },
    reasoningTokens: thoughts !== undefined && thoughts > 0 ? thoughts : undefined,
  };
}

function candidateList(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

function finishReasonsOf(candidates: Obj[]): string[] {
  return candidates.map((c) => str(c.finishReason)).filter((r): r is string => r !== undefined);
}

/** A `GenerateContentResponse` (read as data: its `text` getters warn on non-text parts). */
export function generateOutcome(response: unknown): LlmOutcome {
  const r = obj(response);
  const candidates = candidateList(r.candidates);
  const { usage, reasoningTokens } = usageOf(r.usageMetadata);
  return {
    responseModel: str(r.modelVersion),
    responseId: str(r.responseId),
    finishReasons: finishReasonsOf(candidates),
    usage,
    completion: candidates.length > 0 ? candidates.map((c) => c.content ?? null) : undefined,
    output: () => candidatesOutput(candidates.map((c) => ({ content: c.content, finishReason: str(c.finishReason) }))),
    attributes: compact({ [S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: reasoningTokens }),
  };
}

interface CandidateState {
  role?: string;
  parts: Obj[];
  finishReason?: string;
}

/**
 * Accumulates the chunks of a `generateContentStream`: every chunk is a `GenerateContentResponse`
 * holding the next parts of each candidate. Usage figures are running totals (the last chunk
 * usually carries them all), so the latest value of each field wins.
 */
export class GenerateStreamAccumulator {
  private responseId: string | undefined;
  private model: string | undefined;
  private usage: Obj = {};
  private firstChunkMs: number | undefined;
  private readonly candidates = new Map<number, CandidateState>();

  /** `startedMs` and `now` are on the same clock (performance.now()); time to first chunk is measured from the call. */
  constructor(
    private readonly captureContent: boolean,
    private readonly startedMs?: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(chunk: unknown): void {
    this.firstChunkMs ??= this.now();
    const c = obj(chunk);
    this.responseId = str(c.responseId) ?? this.responseId;
    this.model = str(c.modelVersion) ?? this.model;
    for (const [k, v] of Object.entries(obj(c.usageMetadata))) if (typeof v === 'number') this.usage[k] = v;
    candidateList(c.candidates).forEach((cand, i) => {
      const index = typeof cand.index === 'number' ? cand.index : i;
      let st = this.candidates.get(index);
      if (st === undefined) {
        st = { parts: [] };
        this.candidates.set(index, st);
      }
      st.finishReason = str(cand.finishReason) ?? st.finishReason;
      if (this.captureContent) this.addContent(st, obj(cand.content));
    });
  }

  private addContent(st: CandidateState, content: Obj): void {
    st.role = str(content.role) ?? st.role;
    if (!Array.isArray(content.parts)) return;
    for (const part of content.parts.map(obj)) {
      const last = st.parts[st.parts.length - 1];
      // Text arrives in pieces: one text part (per kind, thought or answer) as the model meant it.
      if (typeof part.text === 'string' && last !== undefined && typeof last.text === 'string' && last.thought === part.thought && Object.keys(part).every((k) => k === 'text' || k === 'thought')) {
        last.text += part.text;
      } else {
        st.parts.push({ ...part });
      }
    }
  }

  outcome(): LlmOutcome {
    const ordered = [...this.candidates.entries()].sort((a, b) => a[0] - b[0]).map(([, st]) => st);
    const { usage, reasoningTokens } = usageOf(this.usage);
    const ttfc = this.firstChunkMs !== undefined && this.startedMs !== undefined ? Math.max(0, this.firstChunkMs - this.startedMs) / 1000 : undefined;
    return {
      responseModel: this.model,
      responseId: this.responseId,
      finishReasons: ordered.map((st) => st.finishReason).filter((r): r is string => r !== undefined),
      usage,
      completion: this.captureContent && ordered.length > 0 ? ordered.map((st) => ({ role: st.role ?? 'model', parts: st.parts })) : undefined,
      output: this.captureContent ? () => candidatesOutput(ordered.map((st) => ({ content: { role: st.role ?? 'model', parts: st.parts }, finishReason: st.finishReason }))) : undefined,
      attributes: compact({
        [S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: reasoningTokens,
        [S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: ttfc,
      }),
    };
  }
}

/**
 * An `EmbedContentResponse`. The Gemini Developer API reports no token usage for embeddings;
 * Vertex AI reports a token count per embedding (`statistics.tokenCount`), summed here.
 */
export function embedOutcome(response: unknown): LlmOutcome {
  const r = obj(response);
  const embeddings = Array.isArray(r.embeddings) ? r.embeddings.map(obj) : [];
  const first = embeddings[0] ?? {};
  const dims = Array.isArray(first.values) ? first.values.length : undefined;
  const counts = embeddings.map((e) => count(obj(e.statistics).tokenCount)).filter((n): n is number => n !== undefined);
  return {
    usage: { inputTokens: counts.length > 0 ? counts.reduce((a, b) => a + b, 0) : undefined },
    attributes: compact({ [S.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: dims }),
  };
}
