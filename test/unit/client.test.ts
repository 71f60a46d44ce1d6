import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { errorAttributes } from '../../instrumentations/genai/recorder';
import { ActionEvent, Client, ErrorEvent, LLMEvent, ToolEvent } from '../../src/client';
import { clientScope, type ClientScope } from '../../src/client/context';
import { errorTypeName } from '../../src/client/error-type';
import { activeHooks, registerClientHooks, unregisterClientHooks, type ClientHooks } from '../../src/client/hooks';
import { logger } from '../../src/shared/logger';

describe('client: sessions, agents and events without tracing', () => {
  let warn: sinon.SinonStub;
  beforeEach(() => {
    warn = sinon.stub(logger, 'limited');
    sinon.stub(logger, 'warn');
  });
  afterEach(() => sinon.restore());

  it('counts events by type and fills in agent and end time', async () => {
    const client = new Client({ tags: ['a'] });
    const session = client.startSession({ tags: ['b', 'a'] });
    assert.deepEqual(session.tags, ['a', 'b']);
    const agent = session.createAgent({ name: 'x' });
    const llm = agent.run(() => session.record(new LLMEvent({ model: 'm' })));
    assert.equal(llm?.agentId, agent.id);
    assert.ok(llm?.endTimeNs !== undefined && llm.endTimeNs >= llm.initTimeNs);
    session.record(new ToolEvent({ name: 't' }));
    session.record(new ActionEvent({ actionType: 'a' }));
    session.record(new ErrorEvent({ exception: new Error('e') }));
    assert.deepEqual(session.eventCounts, { llms: 1, tools: 1, actions: 1, errors: 1, apis: 0 });
    await session.end('Success', 'ok');
    assert.equal(session.endState, 'Success');
    assert.equal(client.sessions.length, 0, 'an ended session is released by its client');
    assert.ok(agent.ended, 'ending a session ends its agents');
  });

  it('keeps only the most recent events in memory, but counts them all', () => {
    const session = new Client({ maxEventsKept: 3 }).startSession();
    for (let i = 0; i < 10; i++) session.record(new ToolEvent({ name: `t${i}` }));
    assert.equal(session.events.length, 3);
    assert.equal((session.events[2] as ToolEvent).name, 't9');
    assert.equal(session.eventCounts.tools, 10);
  });

  it('recordAction records the call, its params and result, sync or async', async () => {
    const session = new Client().startSession();
    const add = session.recordAction('add', (a: number, b: number) => a + b);
    assert.equal(add(2, 3), 5);
    const slow = session.recordTool('slow', async (x: string) => `${x}!`);
    assert.equal(await slow('hi'), 'hi!');
    const [action, tool] = session.events as [ActionEvent, ToolEvent];
    assert.deepEqual(action.params, [2, 3]);
    assert.equal(action.returns, 5);
    assert.equal(action.actionType, 'add');
    assert.equal(tool.params, 'hi');
    assert.equal(tool.returns, 'hi!');
  });

  it('recordAction records an ErrorEvent and rethrows the very same error', async () => {
    const session = new Client().startSession();
    const boom = new RangeError('boom');
    const failing = session.recordAction('fail', async () => {
      throw boom;
    });
    await assert.rejects(failing(), (err) => err === boom);
    const syncFailing = session.recordAction('fail-sync', () => {
      throw boom;
    });
    assert.throws(
      () => syncFailing(),
      (err) => err === boom,
    );
    const [err1, act1, err2, act2] = session.events as [ErrorEvent, ActionEvent, ErrorEvent, ActionEvent];
    assert.equal(err1.triggerEvent, act1);
    assert.equal(err1.errorType, 'RangeError');
    assert.equal(err1.details, 'boom');
    assert.equal(err2.triggerEvent, act2);
    assert.equal(session.eventCounts.errors, 2);
    assert.equal(session.eventCounts.actions, 2);
  });

  it('names an error type as the LLM spans do: its own name, else its class (SDK errors leave name at "Error")', () => {
    class APIError extends Error {}
    class RateLimitError extends APIError {}
    class Named extends Error {
      override name = 'CustomName';
    }
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'name', {
      get() {
        throw new Error('no');
      },
    });
    const cases: Array<[unknown, string | undefined]> = [
      [new RateLimitError('429'), 'RateLimitError'],
      [new Named('n'), 'CustomName'],
      [new TypeError('t'), 'TypeError'],
      [new Error('plain'), 'Error'],
      [new DOMException('aborted', 'AbortError'), 'AbortError'],
      [Object.assign(new Error('x'), { name: '' }), 'Error'],
      [hostile, 'Error'],
      [{ message: 'plain object' }, 'object'],
      [Object.create(null), 'object'],
      ['text', 'string'],
      [null, 'object'],
      [undefined, undefined],
    ];
    for (const [exception, type] of cases) {
      assert.equal(errorTypeName(exception), type, String(type));
      assert.equal(new ErrorEvent({ exception }).errorType, type, String(type));
      if (exception !== undefined) assert.equal(errorAttributes(exception)['error.type'], type, String(type));
    }
  });

  it('misuse logs a warning and never throws', async () => {
    const client = new Client();
    const bad = client.startSession({ sessionId: 'not-a-uuid' });
    assert.match(bad.id, /^[0-9a-f-]{36}$/);
    const zero = client.startSession({ sessionId: '00000000-0000-0000-0000-000000000000' });
    assert.notEqual(zero.id, '00000000-0000-0000-0000-000000000000');
    const given = client.startSession({ sessionId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90' });
    assert.equal(given.id, 'a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90', 'a valid id is kept, normalised');
    const dup = client.startSession({ sessionId: given.id });
    assert.notEqual(dup.id, given.id, 'an id already open is not reused');

    await given.end('Success');
    assert.equal(given.record(new ToolEvent()), undefined, 'recording on an ended session records nothing');
    await given.end('Fail');
    assert.equal(given.endState, 'Success', 'ending twice changes nothing');
    await bad.end('Done' as never);
    assert.equal(bad.endState, 'Indeterminate', 'an unknown end state becomes Indeterminate');
    assert.equal(bad.record({} as never), undefined);
    const keys = warn.getCalls().map((c) => c.args[1]);
    for (const k of ['record-ended', 'end-twice', 'end-state', 'record-not-event']) assert.ok(keys.includes(k), `no warning ${k}`);
  });

  it('module-level record goes to the current session, or the only one, and warns otherwise', async () => {
    const client = new Client();
    assert.equal(client.record(new ToolEvent()), undefined);
    const s1 = client.startSession();
    assert.equal(client.record(new ToolEvent())?.id, s1.events[0].id, 'the only open session');
    const s2 = client.startSession();
    assert.equal(client.record(new ToolEvent()), undefined, 'ambiguous with two open sessions');
    await s2.run(async () => {
      await new Promise((r) => setTimeout(r, 1)); // a timer hop, which the session scope must survive
      client.record(new ToolEvent({ name: 'scoped' }));
    });
    assert.equal((s2.events[0] as ToolEvent).name, 'scoped');
    assert.equal(s1.events.length, 1);
  });

  it('accepts timestamps as Date, ISO text, epoch ms and epoch ns, and flags unusable ones', () => {
    const a = new ToolEvent({ initTimestamp: new Date('2024-01-01T00:00:00.123Z'), endTimestamp: '2024-01-01T00:00:01.5Z' });
    assert.equal(a.initTimeNs, 1704067200123000000n);
    assert.equal(a.endTimeNs, 1704067201500000000n);
    const b = new ToolEvent({ initTimestamp: 1704067200123.25 });
    assert.equal(b.initTimeNs, 1704067200123250000n);
    const c = new ToolEvent({ initTimestamp: 1704067200123456789n });
    assert.equal(c.initTimestamp, '2024-01-01T00:00:00.123456Z');
    assert.equal(new ToolEvent({ initTimestamp: '2262-04-11T23:47:16.854Z' }).initTimeNs, 9223372036854000000n, 'the last representable millisecond');
    assert.ok(new ToolEvent({ initTimestamp: '9999-12-31T00:00:00Z' }).invalidTimestamp, 'past 2262 nanoseconds overflow 64 bits');
    const d = new ToolEvent({ initTimestamp: 'yesterday', endTimestamp: new Date(NaN) });
    assert.ok(d.invalidTimestamp);
    assert.equal(d.endTimeNs, undefined);
    assert.ok(d.initTimeNs > 1704067200000000000n, 'an unusable start becomes now');
  });

  it('returns the existing agent for a duplicate id', () => {
    const session = new Client().startSession();
    const a = session.createAgent({ name: 'x', id: 'agent-1' });
    assert.equal(session.createAgent({ name: 'y', id: 'agent-1' }), a);
    assert.equal(session.agent('agent-1'), a);
    assert.equal(session.createAgent({}).name, 'agent');
  });

  it('calls the registered hook at each point tracing needs, and nothing once it is unregistered', async () => {
    const calls: string[] = [];
    const hooks: ClientHooks = {
      sessionStarted: (s) => calls.push(`sessionStarted ${s.tags.join()}`),
      sessionEnded: (s) => calls.push(`sessionEnded ${String(s.endState)}`),
      agentCreated: (_s, a) => calls.push(`agentCreated ${a.name}`),
      agentEnded: (a) => calls.push(`agentEnded ${a.name}`),
      eventRecorded: (_s, e) => calls.push(`eventRecorded ${e.eventType} agent=${e.agentId === undefined ? '-' : 'set'}`),
      runEventBody<R>(_s: unknown, e: { eventType: string; agentId?: string }, body: () => R): R {
        calls.push(`runEventBody ${e.eventType} agent=${e.agentId === undefined ? '-' : 'set'}`);
        return body();
      },
      runInScope<T>(scope: ClientScope, fn: () => T): T {
        calls.push(`runInScope ${scope.agent?.name ?? 'session'}`);
        const result = fn();
        // The hook wraps the client's own scope: inside `fn` the scope is current, outside it is not.
        calls.push(`scope outside fn ${clientScope.getStore() === undefined ? 'none' : 'set'}`);
        return result;
      },
    };
    const previous = activeHooks();
    registerClientHooks(hooks);
    try {
      const session = new Client({ tags: ['hooked'] }).startSession();
      const agent = session.createAgent({ name: 'a' });
      session.createAgent({ name: 'dup', id: agent.id });
      const tool = session.recordTool('t', (x: number) => x * 2);
      assert.equal(
        agent.run(() => tool(21)),
        42,
      );
      const boom = new Error('boom');
      assert.throws(
        () =>
          session.run(() =>
            session.recordAction('fail', () => {
              throw boom;
            })(),
          ),
        (err) => err === boom,
      );
      agent.end();
      agent.end();
      await session.end('Success');
      assert.deepEqual(calls, [
        'sessionStarted hooked',
        'agentCreated a',
        'runInScope a',
        'runEventBody tools agent=set',
        'eventRecorded tools agent=set',
        'scope outside fn none',
        'runInScope session',
        'runEventBody actions agent=-',
        'eventRecorded errors agent=-',
        'eventRecorded actions agent=-',
        'agentEnded a',
        'sessionEnded Success',
      ]);
    } finally {
      unregisterClientHooks(hooks);
      if (previous !== undefined) registerClientHooks(previous);
    }
    calls.length = 0;
    const later = new Client().startSession();
    later.record(new ToolEvent());
    await later.end();
    assert.deepEqual(calls, [], 'an unregistered hook is not called');
  });
});
