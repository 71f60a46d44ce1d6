/**
 * Anthropic Messages requests and responses as the GenAI conventions' structured messages (pure
 * mapping). `system` is given apart from the history: `gen_ai.system_instructions`.
 */
import { finishReason, modalityOf, text, type ChatMessage, type InputContent, type OutputMessage, type Part } from '../genai/messages';
import { obj, str, type Obj } from '../genai/utils';

const FINISH: Readonly<Record<string, string>> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_call', refusal: 'content_filter', pause_turn: 'stop' };

function sourcePart(source: Obj, fallback: string): Part {
  const modality = fallback === 'image' ? 'image' : modalityOf(source.media_type);
  if (source.type === 'base64') return { type: 'blob', modality, mime_type: str(source.media_type), content: String(source.data ?? '') };
  if (source.type === 'url') return { type: 'uri', modality, uri: String(source.url ?? '') };
  if (source.type === 'file') return { type: 'file', modality, file_id: String(source.file_id ?? '') };
  if (source.type === 'text') return text(String(source.data ?? ''));
  return { type: fallback };
}

export function blockParts(content: unknown): Part[] {
  if (typeof content === 'string') return [text(content)];
  if (!Array.isArray(content)) return [];
  return (content as unknown[]).map((raw) => {
    const b = obj(raw);
    switch (b.type) {
      case 'text':
        return text(typeof b.text === 'string' ? b.text : '');
      case 'thinking':
        return { type: 'reasoning', content: typeof b.thinking === 'string' ? b.thinking : '' };
      case 'tool_use':
        return { type: 'tool_call', id: str(b.id), name: String(b.name ?? ''), arguments: b.input };
      case 'server_tool_use':
        return { type: 'server_tool_call', id: str(b.id), name: String(b.name ?? ''), server_tool_call: { type: String(b.name ?? 'server_tool'), input: b.input } };
      case 'tool_result':
        return { type: 'tool_call_response', id: str(b.tool_use_id), response: b.content };
      case 'image':
      case 'document':
        return sourcePart(obj(b.source), b.type);
      default:
        return { type: typeof b.type === 'string' ? b.type : 'unknown' };
    }
  });
}

/** `messages` and `system` of a Messages request. */
export function messagesInput(messages: unknown, system: unknown): InputContent {
  const out: ChatMessage[] = (Array.isArray(messages) ? (messages as unknown[]) : []).map((m) => {
    const msg = obj(m);
    return { role: str(msg.role) ?? 'user', parts: blockParts(msg.content) };
  });
  const sys = blockParts(system);
  return { messages: out, ...(sys.length > 0 ? { system: sys } : {}) };
}

/** A Message (or one assembled from a stream): its content blocks, stop reason as finish reason. */
export function messageOutput(role: string | undefined, content: unknown, stopReason: string | undefined): OutputMessage[] {
  return [{ role: role ?? 'assistant', parts: blockParts(content), finish_reason: finishReason(stopReason, FINISH) }];
}
