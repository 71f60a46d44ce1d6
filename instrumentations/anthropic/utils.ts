/** Pure mapping from Anthropic Messages requests, responses and stream events to GenAI attributes and usage. */
import * as S from '../shared/semconv';
import type { AttributeMap, LlmOutcome, LlmRequest } from '../genai/types';
import { compact, count, num, obj, str, strList, type Obj } from '../genai/utils';
import { messageOutput, messagesInput } from './messages';

export function messagesRequest(params: unknown, server: AttributeMap): LlmRequest {
  const p = obj(params);
  return {
    provider: S.PROVIDER_ANTHROPIC,
    operation: S.OPERATION_CHAT,
    requestModel: str(p.model),
    streaming: p.stream === true,
    prompt: p.system !== undefined ? { system: p.system, messages: p.messages } : p.messages,
    content: () => messagesInput(p.messages, p.system),
    attributes: compact({
      [S.ATTR_GEN_AI_REQUEST_MODEL]: str(p.model),
      [S.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(p.max_tokens),
      [S.ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(p.temperature),
      [S.ATTR_GEN_AI_REQUEST_TOP_P]: num(p.top_p),
      [S.ATTR_GEN_AI_REQUEST_TOP_K]: num(p.top_k),
      [S.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: strList(p.stop_sequences),
      ...server,
    }),
  };
}

/**
 * Anthropic reports `input_tokens` without the cached ones; `gen_ai.usage.input_tokens` counts all
 * input tokens (as OpenAI's does), so cache reads and writes are added, and also reported apart.
 */
export function usageOf(u: unknown): LlmOutcome['usage'] {
  const usage = obj(u);
  const plain = count(usage.input_tokens);
  const read = count(usage.cache_read_input_tokens);
  const write = count(usage.cache_creation_input_tokens);
  const input = plain === undefined && read === undefined && write === undefined ? undefined : (plain ?? 0) + (read ?? 0) + (write ?? 0);
  return {
    inputTokens: input,
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: read !== undefined && read > 0 ? read : undefined,
    cacheCreationTokens: write !== undefined && write > 0 ? write : undefined,
  };
}

export function messageOutcome(message: unknown): LlmOutcome {
  const m = obj(message);
  const reason = str(m.stop_reason);
  return {
    responseModel: str(m.model),
    responseId: str(m.id),
    finishReasons: reason !== undefined ? [reason] : [],
    usage: usageOf(m.usage),
    completion: Array.isArray(m.content) ? [{ role: str(m.role) ?? 'assistant', content: m.content }] : undefined,
    output: Array.isArray(m.content) ? () => messageOutput(str(m.role), m.content, reason) : undefined,
  };
}

interface Block {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  partialJson?: string;
}

/**
 * Accumulates a raw Messages stream: `message_start` (id, model, input usage), content blocks and
 * their deltas, `message_delta` (stop reason, cumulative output usage), `message_stop`.
 */
export class MessagesStreamAccumulator {
  private id: string | undefined;
  private model: string | undefined;
  private stopReason: string | undefined;
  private usage: Obj = {};
  private readonly blocks: Block[] = [];

  constructor(private readonly captureContent: boolean) {}

  add(event: unknown): void {
    const e = obj(event);
    switch (e.type) {
      case 'message_start': {
        const m = obj(e.message);
        this.id = str(m.id);
        this.model = str(m.model);
        this.usage = { ...obj(m.usage) };
        break;
      }
      case 'message_delta': {
        const reason = str(obj(e.delta).stop_reason);
        if (reason !== undefined) this.stopReason = reason;
        // Cumulative counts: the latest value of each field wins.
        for (const [k, v] of Object.entries(obj(e.usage))) if (typeof v === 'number') this.usage[k] = v;
        break;
      }
      case 'content_block_start': {
        if (!this.captureContent) break;
        const b = obj(e.content_block);
        const index = typeof e.index === 'number' ? e.index : this.blocks.length;
        this.blocks[index] = { type: str(b.type) ?? 'text', text: typeof b.text === 'string' ? b.text : undefined, id: str(b.id), name: str(b.name), input: b.input };
        break;
      }
      case 'content_block_delta': {
        if (!this.captureContent) break;
        const index = typeof e.index === 'number' ? e.index : this.blocks.length - 1;
        const block = (this.blocks[index] ??= { type: 'text' });
        const d = obj(e.delta);
        if (d.type === 'text_delta' && typeof d.text === 'string') block.text = (block.text ?? '') + d.text;
        else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string') block.partialJson = (block.partialJson ?? '') + d.partial_json;
        else if (d.type === 'thinking_delta' && typeof d.thinking === 'string') block.text = (block.text ?? '') + d.thinking;
        break;
      }
    }
  }

  outcome(): LlmOutcome {
    const content = this.blocks.filter(Boolean).map((b) => {
      if (b.type === 'tool_use') return { type: b.type, id: b.id, name: b.name, input: b.partialJson !== undefined ? parseJson(b.partialJson) : b.input };
      return { type: b.type, text: b.text ?? '' };
    });
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: this.stopReason !== undefined ? [this.stopReason] : [],
      usage: usageOf(this.usage),
      completion: this.captureContent && content.length > 0 ? [{ role: 'assistant', content }] : undefined,
      output: this.captureContent ? () => messageOutput('assistant', content, this.stopReason) : undefined,
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
