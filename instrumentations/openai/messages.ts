/**
 * OpenAI requests and responses as the GenAI conventions' structured messages (pure mapping).
 * Chat Completions keep system and developer messages in the history, so they stay in
 * `gen_ai.input.messages`; the Responses API's `instructions` are given apart, so they are
 * `gen_ai.system_instructions`.
 */
import { finishReason, text, toolArguments, urlPart, type ChatMessage, type InputContent, type OutputMessage, type Part } from '../genai/messages';
import { obj, str, type Obj } from '../genai/utils';

const FINISH: Readonly<Record<string, string>> = { tool_calls: 'tool_call', function_call: 'tool_call', stop: 'stop', length: 'length', content_filter: 'content_filter' };

function contentParts(content: unknown): Part[] {
  if (typeof content === 'string') return [text(content)];
  if (!Array.isArray(content)) return [];
  return (content as unknown[]).map((p) => contentPart(obj(p)));
}

function contentPart(p: Obj): Part {
  switch (p.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return text(typeof p.text === 'string' ? p.text : '');
    case 'refusal':
      return { type: 'refusal', content: typeof p.refusal === 'string' ? p.refusal : '' };
    case 'image_url':
      return urlPart(String(obj(p.image_url).url ?? ''), 'image');
    case 'input_image':
      if (typeof p.image_url === 'string') return urlPart(p.image_url, 'image');
      return { type: 'file', modality: 'image', file_id: String(p.file_id ?? '') };
    case 'input_audio': {
      const a = obj(p.input_audio);
      return { type: 'blob', modality: 'audio', mime_type: typeof a.format === 'string' ? `audio/${a.format}` : undefined, content: String(a.data ?? '') };
    }
    case 'file':
    case 'input_file': {
      const f = p.type === 'file' ? obj(p.file) : p;
      if (typeof f.file_id === 'string') return { type: 'file', modality: 'document', file_id: f.file_id };
      if (typeof f.file_data === 'string') return urlPart(f.file_data, 'document');
      return { type: String(p.type) };
    }
    default:
      return { type: typeof p.type === 'string' ? p.type : 'unknown' };
  }
}

function toolCallParts(calls: unknown): Part[] {
  if (!Array.isArray(calls)) return [];
  return (calls as unknown[]).map((c) => {
    const call = obj(c);
    const fn = obj(call.function);
    return { type: 'tool_call', id: str(call.id), name: String(fn.name ?? ''), arguments: toolArguments(fn.arguments) };
  });
}

/** `messages` of a Chat Completions request. */
export function chatInput(messages: unknown): InputContent {
  const out: ChatMessage[] = [];
  for (const m of Array.isArray(messages) ? (messages as unknown[]) : []) {
    const msg = obj(m);
    const role = str(msg.role) ?? 'user';
    if (role === 'tool') {
      out.push({ role, parts: [{ type: 'tool_call_response', id: str(msg.tool_call_id), response: msg.content }] });
      continue;
    }
    const parts = [...contentParts(msg.content), ...toolCallParts(msg.tool_calls)];
    out.push({ role, parts, ...(typeof msg.name === 'string' ? { name: msg.name } : {}) });
  }
  return { messages: out };
}

/** One output message per choice: its `message` (or the one assembled from a stream) and finish reason. */
export function chatOutput(choices: Array<{ message: unknown; finishReason: string | undefined }>): OutputMessage[] {
  return choices.map(({ message, finishReason: reason }) => {
    const m = obj(message);
    const parts = [...contentParts(m.content), ...toolCallParts(m.tool_calls)];
    if (typeof m.refusal === 'string' && m.refusal !== '') parts.push({ type: 'refusal', content: m.refusal });
    return { role: str(m.role) ?? 'assistant', parts, finish_reason: finishReason(reason, FINISH) };
  });
}

/** Responses API `input` (a string or a list of items) and `instructions`. */
export function responsesInput(input: unknown, instructions: unknown): InputContent {
  const messages: ChatMessage[] = [];
  if (typeof input === 'string') messages.push({ role: 'user', parts: [text(input)] });
  for (const item of Array.isArray(input) ? (input as unknown[]) : []) {
    const it = obj(item);
    if (it.type === 'function_call') messages.push({ role: 'assistant', parts: [{ type: 'tool_call', id: str(it.call_id), name: String(it.name ?? ''), arguments: toolArguments(it.arguments) }] });
    else if (it.type === 'function_call_output') messages.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: str(it.call_id), response: it.output }] });
    else if (it.role !== undefined) messages.push({ role: String(it.role), parts: contentParts(it.content) });
    else messages.push({ role: 'user', parts: [{ type: typeof it.type === 'string' ? it.type : 'unknown' }] });
  }
  return { messages, ...(typeof instructions === 'string' && instructions !== '' ? { system: [text(instructions)] } : {}) };
}

/** A Responses API `response`: its output items as one assistant message. */
export function responseOutput(response: Obj): OutputMessage[] {
  if (!Array.isArray(response.output)) return [];
  const parts: Part[] = [];
  let called = false;
  for (const item of response.output as unknown[]) {
    const it = obj(item);
    if (it.type === 'message') parts.push(...contentParts(it.content));
    else if (it.type === 'function_call') {
      called = true;
      parts.push({ type: 'tool_call', id: str(it.call_id), name: String(it.name ?? ''), arguments: toolArguments(it.arguments) });
    } else if (it.type === 'reasoning') {
      const summary = Array.isArray(it.summary) ? (it.summary as unknown[]).map((s) => String(obj(s).text ?? '')).join('\n') : '';
      if (summary !== '') parts.push({ type: 'reasoning', content: summary });
    } else parts.push({ type: typeof it.type === 'string' ? it.type : 'unknown', ...(typeof it.id === 'string' ? { id: it.id } : {}) });
  }
  const status = str(response.status);
  const incomplete = str(obj(response.incomplete_details).reason);
  const reason = called ? 'tool_call' : status === 'incomplete' ? (incomplete === 'max_output_tokens' ? 'length' : (incomplete ?? 'length')) : status === 'failed' ? 'error' : 'stop';
  return [{ role: 'assistant', parts, finish_reason: reason }];
}
