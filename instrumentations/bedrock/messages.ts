/**
 * Bedrock requests and responses as the GenAI conventions' structured messages (pure mapping):
 * Converse (and Amazon Nova's InvokeModel body, which has its shape), Anthropic's Messages bodies
 * (the Anthropic mapping), and Meta Llama's prompt and generation. `system` is given apart from
 * the history: `gen_ai.system_instructions`.
 */
import { finishReason, text, type ChatMessage, type InputContent, type OutputMessage, type Part } from '../genai/messages';
import { obj, str } from '../genai/utils';

const FINISH: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  stop: 'stop',
  max_tokens: 'length',
  length: 'length',
  tool_use: 'tool_call',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

const MODALITY: Readonly<Record<string, string>> = { image: 'image', document: 'document', video: 'video', audio: 'audio' };

function base64(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return '';
}

function mediaPart(kind: string, m: Record<string, unknown>): Part {
  const source = obj(m.source);
  const modality = MODALITY[kind] ?? 'document';
  const mime = typeof m.format === 'string' ? `${modality === 'document' ? 'application' : modality}/${m.format}` : undefined;
  if (source.bytes !== undefined) return { type: 'blob', modality, mime_type: mime, content: base64(source.bytes) };
  const s3 = obj(source.s3Location);
  if (typeof s3.uri === 'string') return { type: 'uri', modality, mime_type: mime, uri: s3.uri };
  return { type: kind };
}

/** One Converse content block. */
export function blockPart(raw: unknown): Part {
  const b = obj(raw);
  if (typeof b.text === 'string') return text(b.text);
  if (b.toolUse !== undefined) {
    const t = obj(b.toolUse);
    return { type: 'tool_call', id: str(t.toolUseId), name: String(t.name ?? ''), arguments: t.input };
  }
  if (b.toolResult !== undefined) {
    const t = obj(b.toolResult);
    return { type: 'tool_call_response', id: str(t.toolUseId), response: t.content };
  }
  if (b.reasoningContent !== undefined) return { type: 'reasoning', content: String(obj(obj(b.reasoningContent).reasoningText).text ?? '') };
  for (const kind of ['image', 'document', 'video', 'audio']) if (b[kind] !== undefined) return mediaPart(kind, obj(b[kind]));
  const key = Object.keys(b)[0];
  return { type: key ?? 'unknown' };
}

function blocks(content: unknown): Part[] {
  if (typeof content === 'string') return [text(content)];
  return Array.isArray(content) ? (content as unknown[]).map(blockPart) : [];
}

/** Converse (and Nova) `messages` and `system`. */
export function converseInput(messages: unknown, system: unknown): InputContent {
  const out: ChatMessage[] = (Array.isArray(messages) ? (messages as unknown[]) : []).map((m) => {
    const msg = obj(m);
    return { role: str(msg.role) ?? 'user', parts: blocks(msg.content) };
  });
  const sys = blocks(system).filter((p) => p.type !== 'cachePoint' && p.type !== 'guardContent');
  return { messages: out, ...(sys.length > 0 ? { system: sys } : {}) };
}

/** A Converse output `message` (or one assembled from a stream) with its stop reason. */
export function converseOutput(message: unknown, stopReason: string | undefined): OutputMessage[] {
  const m = obj(message);
  return [{ role: str(m.role) ?? 'assistant', parts: blocks(m.content), finish_reason: finishReason(stopReason, FINISH) }];
}

/** A text completion (Llama): the prompt as one user message, the generation as the answer. */
export function promptInput(prompt: unknown): InputContent {
  return { messages: typeof prompt === 'string' ? [{ role: 'user', parts: [text(prompt)] }] : [] };
}

export function generationOutput(generation: string | undefined, stopReason: string | undefined): OutputMessage[] {
  return generation === undefined ? [] : [{ role: 'assistant', parts: [text(generation)], finish_reason: finishReason(stopReason, FINISH) }];
}
