/**
 * The app the sustained-load benchmark runs (with and without the preload): SESSIONS concurrent
 * sessions recording EVENTS events each, as fast as possible (PACE_MS=0) or paced so that each
 * session records one event every PACE_MS. Prints one JSON line with what it measured.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { init, LLMEvent, ToolEvent } from 'agentops-otel';

const SESSIONS = Number(process.env.SESSIONS ?? 1000);
const EVENTS = Number(process.env.EVENTS ?? 100);
const PACE_MS = Number(process.env.PACE_MS ?? 0);
/** How the process ends once every session has ended: naturally (default), exit, throw or reject. */
const END = process.env.END ?? 'natural';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

async function session(i: number): Promise<void> {
  const s = init().startSession({ tags: ['load', `s${i % 10}`] });
  const agent = s.createAgent({ name: `agent-${i % 5}` });
  await agent.run(async () => {
    for (let k = 0; k < EVENTS; k++) {
      if (k % 2 === 0) s.record(new LLMEvent({ model: 'gpt-4o-mini', prompt: `question ${k} of session ${i}`, completion: `answer ${k}`, promptTokens: 20, completionTokens: 8 }));
      else s.record(new ToolEvent({ name: 'search', params: { q: `query ${k}` }, returns: ['a', 'b'] }));
      if (PACE_MS > 0) await sleep(PACE_MS);
      else if (k % 10 === 9) await tick();
    }
  });
  await s.end('Success');
}

async function main(): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const rss: Array<[number, number]> = [];
  const t0 = performance.now();
  const sampler = setInterval(() => rss.push([Math.round(performance.now() - t0), process.memoryUsage().rss]), 250);
  console.log('started');
  await Promise.all(Array.from({ length: SESSIONS }, (_, i) => session(i)));
  const ms = performance.now() - t0;
  clearInterval(sampler);
  delay.disable();
  rss.push([Math.round(ms), process.memoryUsage().rss]);
  const events = SESSIONS * EVENTS;
  console.log(
    JSON.stringify({
      events,
      spans: SESSIONS * (EVENTS + 2),
      ms,
      eventsPerSec: events / (ms / 1000),
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      rssMaxBytes: Math.max(...rss.map(([, b]) => b)),
      rss,
    }),
  );
}

void main().then(() => {
  if (END === 'exit') process.exit(3);
  if (END === 'throw') setImmediate(() => {
    throw new Error('the app crashed');
  });
  if (END === 'reject') void Promise.reject(new Error('the app rejected'));
});
