/**
 * Pure mapping from LangChain.js callback arguments (serialized runnables, run metadata, model
 * results) to names, GenAI attributes and usage.
 */
import * as S from '../shared/semconv';
import type { LlmOutcome, LlmRequest } from '../genai/types';
import { compact, count, num, obj, str, strList, type Obj } from '../genai/utils';
import * as L from './semconv';
import type { Serialized } from './types';

export function runName(serialized: unknown, name: unknown): string {
  const s = obj(serialized) as Serialized;
  return str(name) ?? str(s.name) ?? (Array.isArray(s.id) ? str(s.id[s.id.length - 1]) : undefined) ?? 'run';
}

export function isHidden(tags: unknown): boolean {
  return Array.isArray(tags) && tags.includes(L.HIDDEN_TAG);
}

/** A LangGraph graph run (a compiled graph, `createAgent`'s among them). */
export function isGraph(serialized: unknown): boolean {
  const id = (obj(serialized) as Serialized).id;
  return Array.isArray(id) && (id.includes('pregel') || id[id.length - 1] === 'CompiledStateGraph');
}

/** A run that starts an agent: `createAgent`'s graph, or a classic AgentExecutor. */
export function agentNameOf(metadata: unknown, name: string): string | undefined {
  const m = obj(metadata);
  if (m.ls_integration === L.AGENT_INTEGRATION) return str(m.lc_agent_name) ?? name;
  if (name === 'AgentExecutor') return name;
  return undefined;
}

const PROVIDERS: Record<string, string> = {
  openai: S.PROVIDER_OPENAI,
  azure_openai: 'azure.ai.openai',
  anthropic: S.PROVIDER_ANTHROPIC,
  google_genai: S.PROVIDER_GCP_GEMINI,
  google_vertexai: S.PROVIDER_GCP_VERTEX_AI,
  bedrock: 'aws.bedrock',
  amazon_bedrock: 'aws.bedrock',
  mistralai: 'mistral_ai',
  groq: 'groq',
  ollama: 'ollama',
};

/** A model run as an LLM request: model and parameters from the invocation params and `ls_*` metadata. */
export function modelRequest(serialized: unknown, extraParams: unknown, metadata: unknown, input: unknown, isChat: boolean): LlmRequest {
  const p = obj(obj(extraParams).invocation_params);
  const m = obj(metadata);
  const id = (obj(serialized) as Serialized).id;
  const fromId = Array.isArray(id) && id.length >= 3 ? str(id[id.length - 2]) : undefined;
  const provider = str(m.ls_provider) ?? fromId ?? 'langchain';
  const model = str(p.model) ?? str(p.model_name) ?? str(p.modelName) ?? str(m.ls_model_name);
  return {
    provider: PROVIDERS[provider] ?? provider,
    operation: isChat ? S.OPERATION_CHAT : 'text_completion',
    requestModel: model,
    streaming: p.stream === true || p.streaming === true,
    prompt: input,
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: model,
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(p.max_completion_tokens) ?? num(p.max_tokens) ?? num(m.ls_max_tokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(p.temperature) ?? num(m.ls_temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(p.top_p),
      [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(p.stop),
    }),
  };
}

/** A model run's result (LLMResult): usage from the messages' `usage_metadata`, else `llmOutput.tokenUsage`. */
export function modelOutcome(output: unknown, captureContent: boolean): LlmOutcome {
  const o = obj(output);
  const gens: Obj[] = Array.isArray(o.generations) ? (o.generations as unknown[]).flat().map(obj) : [];
  let input: number | undefined;
  let out: number | undefined;
  let cacheRead: number | undefined;
  for (const g of gens) {
    const u = obj(obj(g.message).usage_metadata);
    if (count(u.input_tokens) === undefined && count(u.output_tokens) === undefined) continue;
    input = (input ?? 0) + (count(u.input_tokens) ?? 0);
    out = (out ?? 0) + (count(u.output_tokens) ?? 0);
    const cached = count(obj(u.input_token_details).cache_read);
    if (cached !== undefined && cached > 0) cacheRead = (cacheRead ?? 0) + cached;
  }
  if (input === undefined && out === undefined) {
    const t = obj(obj(o.llmOutput).tokenUsage);
    input = count(t.promptTokens);
    out = count(t.completionTokens);
  }
  const first = obj(gens[0]?.message);
  const meta = obj(first.response_metadata);
  const reasons = gens.map((g) => str(obj(obj(g.message).response_metadata).finish_reason) ?? str(obj(g.generationInfo).finish_reason)).filter((r): r is string => r !== undefined);
  return {
    responseModel: str(meta.model_name) ?? str(meta.model),
    responseId: str(first.id),
    finishReasons: reasons,
    usage: { inputTokens: input, outputTokens: out, cacheReadTokens: cacheRead },
    completion: captureContent && gens.length > 0 ? gens.map((g) => (g.message !== undefined ? { content: obj(g.message).content, tool_calls: obj(g.message).tool_calls } : g.text)) : undefined,
  };
}

/** What a tool returned, as the app sees it: a ToolMessage's content, else the value. */
export function toolOutput(output: unknown): unknown {
  const o = output as { content?: unknown; lc_kwargs?: unknown } | null;
  return o !== null && typeof o === 'object' && 'content' in o ? o.content : output;
}
