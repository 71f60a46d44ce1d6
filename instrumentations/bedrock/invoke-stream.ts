/** The InvokeModel stream of each model family, accumulated into one outcome. */
import * as AU from '../anthropic/utils';
import type { LlmOutcome } from '../genai/types';
import { obj, str, type Obj } from '../genai/utils';
import * as BM from './messages';
import type { BodyFamily } from './types';
import * as U from './utils';

/**
 * Accumulates an InvokeModel stream: each `chunk` event's `bytes` is one JSON event of the model
 * family (Anthropic's raw Messages events, Nova's Converse-shaped events, Llama's cumulative
 * generation counts), and the last one carries the service's invocation metrics.
 */
export class InvokeStreamAccumulator {
  private readonly anthropic: AU.MessagesStreamAccumulator | undefined;
  private readonly nova: U.ConverseStreamAccumulator | undefined;
  private metrics: unknown;
  private text: string | undefined;
  private stopReason: string | undefined;
  private readonly llama: Obj = {};

  constructor(
    private readonly family: BodyFamily,
    private readonly captureContent: boolean,
  ) {
    if (family === 'anthropic') this.anthropic = new AU.MessagesStreamAccumulator(captureContent);
    if (family === 'nova') this.nova = new U.ConverseStreamAccumulator(captureContent);
  }

  add(event: unknown): void {
    const chunk = U.decodeJson(obj(obj(event).chunk).bytes);
    if (chunk === undefined) return;
    if (chunk[U.METRICS_KEY] !== undefined) this.metrics = chunk[U.METRICS_KEY];
    if (this.anthropic !== undefined) this.anthropic.add(chunk);
    else if (this.nova !== undefined) this.nova.add(chunk);
    else if (this.family === 'llama') {
      // `prompt_token_count` comes once (first chunk), `generation_token_count` is cumulative.
      for (const k of ['prompt_token_count', 'generation_token_count', 'generation_count']) if (typeof chunk[k] === 'number') this.llama[k] = chunk[k];
      this.stopReason = str(chunk.stop_reason) ?? this.stopReason;
      if (this.captureContent && typeof chunk.generation === 'string') this.text = (this.text ?? '') + chunk.generation;
    }
  }

  outcome(): LlmOutcome {
    let out: LlmOutcome;
    if (this.anthropic !== undefined) out = this.anthropic.outcome();
    else if (this.nova !== undefined) out = this.nova.outcome();
    else if (this.family === 'llama') {
      out = {
        finishReasons: this.stopReason !== undefined ? [this.stopReason] : [],
        usage: U.llamaUsage(this.llama),
        completion: this.text !== undefined ? [{ role: 'assistant', content: this.text }] : undefined,
        ...(this.captureContent ? { output: () => BM.generationOutput(this.text, this.stopReason) } : {}),
      };
    } else out = { usage: {} };
    return { ...out, usage: U.withInvocationMetrics(out.usage, this.metrics) };
  }
}
