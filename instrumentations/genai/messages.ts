/**
 * The GenAI conventions' structured content: `gen_ai.input.messages`, `gen_ai.output.messages`
 * and `gen_ai.system_instructions`, JSON text following the schemas of the GenAI semantic
 * conventions 1.42.0 (gen-ai-input-messages.json, gen-ai-output-messages.json,
 * gen-ai-system-instructions.json). The provider mappings build these plain objects; this file
 * holds the shared part types and the one way they become a bounded attribute.
 */
import { safeJson, truncateText } from '../../src/shared/serialize';

export type Part =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown }
  | { type: 'reasoning'; content: string }
  | { type: 'blob'; modality: string; mime_type?: string; content: string }
  | { type: 'uri'; modality: string; mime_type?: string; uri: string }
  | { type: 'file'; modality: string; mime_type?: string; file_id: string }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: string;
  parts: Part[];
  name?: string;
}

export interface OutputMessage extends ChatMessage {
  finish_reason: string;
}

/** What a request sends as content, in the conventions' shape. */
export interface InputContent {
  messages: ChatMessage[];
  /** Instructions given apart from the chat history (Anthropic `system`, Responses `instructions`). */
  system?: Part[];
}

export function text(content: string): Part {
  return { type: 'text', content };
}

/** Tool arguments as the model wrote them: the parsed object when they are JSON, else the text. */
export function toolArguments(args: unknown): unknown {
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,/;

/** An image or file referenced by URL: inline (`data:…;base64,`) as a blob, else as a URI. */
export function urlPart(url: string, modality: string): Part {
  const m = DATA_URL.exec(url);
  if (m !== null) return { type: 'blob', modality, ...(m[1] !== undefined ? { mime_type: m[1] } : {}), content: url.slice(m[0].length) };
  return { type: 'uri', modality, uri: url };
}

/** `image/png` → image, `application/pdf` → document, … */
export function modalityOf(mimeType: unknown): string {
  if (typeof mimeType !== 'string') return 'document';
  const top = mimeType.split('/')[0];
  return top === 'image' || top === 'video' || top === 'audio' ? top : 'document';
}

/** The conventions' finish reasons where a provider's value means one of them; others as they are. */
export function finishReason(reason: string | undefined, map: Readonly<Record<string, string>>): string {
  if (reason === undefined || reason === '') return 'stop';
  return map[reason] ?? reason;
}

const CUTS = 12;

/**
 * JSON text of `value` within `max` characters that stays valid JSON: when the whole does not
 * fit, the longest strings (texts, blobs) are cut, shorter each round, before anything else is.
 * Only a value that still does not fit with every string cut short is cut as text.
 */
export function boundedJson(value: unknown, max: number): string {
  let cap = max;
  for (let i = 0; i < CUTS; i++) {
    const json = safeJson(i === 0 ? value : capStrings(value, cap, { nodes: 0 }, 0), max + 1);
    if (json.length <= max) return json;
    cap = Math.floor(cap / 4);
  }
  return truncateText(safeJson(value, max), max);
}

const MAX_NODES = 10_000;

/** A copy with every string cut to `cap`; app objects are read defensively (safeJson does the rest). */
function capStrings(value: unknown, cap: number, walk: { nodes: number }, depth: number): unknown {
  if (typeof value === 'string') return value.length > cap ? truncateText(value, Math.max(cap, 16)) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32 || ++walk.nodes > MAX_NODES) return '[…]';
  try {
    if (Array.isArray(value)) return value.map((v) => capStrings(v, cap, walk, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = capStrings(v, cap, walk, depth + 1);
    return out;
  } catch {
    return '[Unreadable]';
  }
}
