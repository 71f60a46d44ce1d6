/**
 * @google/genai requests and responses as the GenAI conventions' structured messages (pure
 * mapping). `contents` may be a string, a Part, a Content or a list of either (the SDK's
 * ContentListUnion); `config.systemInstruction` is given apart: `gen_ai.system_instructions`.
 * The role `model` is the conventions' `assistant`.
 */
import { finishReason, modalityOf, text, type ChatMessage, type InputContent, type OutputMessage, type Part } from '../genai/messages';
import { obj, str } from '../genai/utils';

const FINISH: Readonly<Record<string, string>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
};

function role(r: unknown): string {
  return r === 'model' ? 'assistant' : (str(r) ?? 'user');
}

export function partOf(raw: unknown): Part {
  if (typeof raw === 'string') return text(raw);
  const p = obj(raw);
  if (typeof p.text === 'string') return p.thought === true ? { type: 'reasoning', content: p.text } : text(p.text);
  if (p.functionCall !== undefined) {
    const f = obj(p.functionCall);
    return { type: 'tool_call', id: str(f.id), name: String(f.name ?? ''), arguments: f.args };
  }
  if (p.functionResponse !== undefined) {
    const f = obj(p.functionResponse);
    return { type: 'tool_call_response', id: str(f.id), response: f.response };
  }
  if (p.inlineData !== undefined) {
    const d = obj(p.inlineData);
    return { type: 'blob', modality: modalityOf(d.mimeType), mime_type: str(d.mimeType), content: String(d.data ?? '') };
  }
  if (p.fileData !== undefined) {
    const d = obj(p.fileData);
    return { type: 'uri', modality: modalityOf(d.mimeType), mime_type: str(d.mimeType), uri: String(d.fileUri ?? '') };
  }
  if (p.executableCode !== undefined) return { type: 'executable_code', code: obj(p.executableCode).code };
  if (p.codeExecutionResult !== undefined) return { type: 'code_execution_result', output: obj(p.codeExecutionResult).output };
  return { type: 'unknown' };
}

function isContent(v: unknown): boolean {
  const o = obj(v);
  return Array.isArray(o.parts) || (o.role !== undefined && o.parts !== undefined);
}

function contentMessage(v: unknown): ChatMessage {
  const c = obj(v);
  return { role: role(c.role), parts: (Array.isArray(c.parts) ? (c.parts as unknown[]) : []).map(partOf) };
}

/** `contents`: Contents become messages; bare parts (and strings) together make one user message. */
export function contentsMessages(contents: unknown): ChatMessage[] {
  const list = Array.isArray(contents) ? (contents as unknown[]) : contents === undefined || contents === null ? [] : [contents];
  const out: ChatMessage[] = [];
  let loose: Part[] = [];
  for (const item of list) {
    if (isContent(item)) {
      if (loose.length > 0) out.push({ role: 'user', parts: loose });
      loose = [];
      out.push(contentMessage(item));
    } else loose.push(partOf(item));
  }
  if (loose.length > 0) out.push({ role: 'user', parts: loose });
  return out;
}

function systemParts(instruction: unknown): Part[] | undefined {
  if (instruction === undefined || instruction === null) return undefined;
  const parts = contentsMessages(instruction).flatMap((m) => m.parts);
  return parts.length > 0 ? parts : undefined;
}

export function generateInput(contents: unknown, systemInstruction: unknown): InputContent {
  const system = systemParts(systemInstruction);
  return { messages: contentsMessages(contents), ...(system !== undefined ? { system } : {}) };
}

/** One output message per candidate. */
export function candidatesOutput(candidates: Array<{ content: unknown; finishReason: string | undefined }>): OutputMessage[] {
  return candidates.map((c) => {
    const m = contentMessage(c.content);
    const called = m.parts.some((p) => p.type === 'tool_call');
    return {
      role: m.role === 'user' ? 'assistant' : m.role,
      parts: m.parts,
      finish_reason: called && (c.finishReason === undefined || c.finishReason === 'STOP') ? 'tool_call' : finishReason(c.finishReason, FINISH),
    };
  });
}
