// The client API as an app uses it, shared by app.cjs and app.mjs so that both module systems
// are held to the same checks. Prints one JSON line with the ids the OTLP check looks for.
'use strict';

function check(ok, what) {
  if (!ok) throw new Error(`client API check failed: ${what}`);
}

module.exports = async function scenario({ init, LLMEvent, ToolEvent }, flavour) {
  for (const [name, f] of Object.entries({ init, LLMEvent, ToolEvent })) check(typeof f === 'function', `${name} is exported`);
  const client = init({ tags: ['pack-smoke'] });
  check(init() === client, 'init() returns the process client');
  const session = client.startSession({ tags: [flavour] });
  const agent = session.createAgent({ name: 'researcher' });
  let llm;
  await agent.run(async () => {
    // The agent must still be current after an await: that is what the context plumbing is for.
    await new Promise((resolve) => setTimeout(resolve, 5));
    llm = session.record(new LLMEvent({ model: 'gpt-4o', prompt: 'hi', completion: 'hello', promptTokens: 3, completionTokens: 5 }));
  });
  const tool = session.record(new ToolEvent({ name: 'search', params: { q: 'x' }, returns: '3 hits' }));
  await session.end('Success', 'pack smoke');

  check(llm !== undefined && llm.agentId === agent.id, 'an event recorded inside agent.run() belongs to the agent');
  check(session.ended && session.endState === 'Success', `the session ended as Success (got ${session.endState})`);
  check(session.eventCounts.llms === 1 && session.eventCounts.tools === 1, `event counts ${JSON.stringify(session.eventCounts)}`);
  process.stdout.write(`${JSON.stringify({ flavour, sessionId: session.id, agentId: agent.id, llmEventId: llm.id, toolEventId: tool.id })}\n`);
};
