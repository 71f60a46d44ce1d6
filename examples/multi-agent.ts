/**
 * A small multi-agent app with no network: a planner hands work to a researcher and a writer,
 * which call tools and a (simulated) LLM. It knows nothing of tracing; run it under the preload:
 *
 *   node --require agentops-otel/register dist/examples/multi-agent.js
 */
import { EventEmitter } from 'node:events';
import { ErrorEvent, init, LLMEvent, type Agent, type Session } from 'agentops-otel';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stands in for an LLM API: answers after a short delay and reports token usage. */
async function fakeLlm(session: Session, model: string, prompt: string): Promise<string> {
  // Created before the call, so the event starts when the call does; recorded when it returns.
  const event = new LLMEvent({ model, prompt, promptTokens: Math.ceil(prompt.length / 4) });
  await sleep(5 + Math.floor(Math.random() * 10));
  const completion = `(${model}) answer to: ${prompt}`;
  event.completion = completion;
  event.completionTokens = Math.ceil(completion.length / 4);
  session.record(event);
  return completion;
}

async function research(session: Session, agent: Agent, topic: string): Promise<string[]> {
  return agent.run(async () => {
    const search = session.recordTool('web_search', async (query: string) => {
      await sleep(3);
      return [`${query}: result A`, `${query}: result B`];
    });
    const hits = await search(topic);
    // Work that finishes on an EventEmitter callback still belongs to the researcher.
    const feed = new EventEmitter();
    const summary = new Promise<string>((resolve) => feed.once('done', (text: string) => resolve(text)));
    setImmediate(() => void fakeLlm(session, 'gpt-4o-mini', `summarise ${hits.join('; ')}`).then((t) => feed.emit('done', t)));
    return [await summary, ...hits];
  });
}

async function write(session: Session, agent: Agent, notes: string[]): Promise<string> {
  return agent.run(async () => {
    const draft = session.recordAction('draft', async (n: string[]) => fakeLlm(session, 'gpt-4o', `write a report from ${n.length} notes`));
    const text = await draft(notes);
    const check = session.recordAction('fact_check', async () => {
      await sleep(2);
      throw new Error('source 2 could not be verified');
    });
    try {
      await check();
    } catch {
      // The failed check is recorded (action span with status ERROR and an error span); the report goes on.
    }
    return text;
  });
}

export async function main(topic = 'battery recycling'): Promise<string> {
  const client = init({ tags: ['example'] });
  const session = client.startSession({ tags: ['multi-agent'] });
  const planner = session.createAgent({ name: 'planner' });
  const researcher = session.createAgent({ name: 'researcher' });
  const writer = session.createAgent({ name: 'writer' });
  try {
    await planner.run(() => fakeLlm(session, 'gpt-4o', `plan a report on ${topic}`));
    const [a, b] = await Promise.all([research(session, researcher, topic), research(session, researcher, `${topic} costs`)]);
    await write(session, writer, [...a, ...b]);
    await session.end('Success', 'report written');
    console.log(
      `session ${session.id} ended: ${session.eventCounts.llms} LLM calls, ${session.eventCounts.tools} tool calls, ${session.eventCounts.actions} actions, ${session.eventCounts.errors} errors`,
    );
    return session.id;
  } catch (err) {
    session.record(new ErrorEvent({ exception: err }));
    await session.end('Fail', String(err));
    throw err;
  }
}

if (require.main === module) {
  main(process.argv[2]).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
