/**
 * The package's public surface: what `require('agentops-otel')` exports, and what its type
 * declarations let an app touch. Internals (how the client and the preload talk) stay out of both.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as api from '../../src';

const DIST = path.join(__dirname, '..', '..', 'src');

function declarations(file: string): string {
  return fs.readFileSync(path.join(DIST, file), 'utf8');
}

describe('public API', () => {
  it('exports exactly the client API, by name', () => {
    assert.deepEqual(Object.keys(api).sort(), [
      'ActionEvent',
      'Agent',
      'Client',
      'END_STATES',
      'ErrorEvent',
      'Event',
      'EventType',
      'LLMEvent',
      'Session',
      'ToolEvent',
      'endAllSessions',
      'getClient',
      'init',
      'record',
      'startSession',
    ]);
  });

  it("keeps the client's internals out of the type declarations", () => {
    const session = declarations('client/session.d.ts');
    const client = declarations('client/client.d.ts');
    const agent = declarations('client/agent.d.ts');
    for (const internal of ['SessionOwner', '_sessionEnded', 'runEvent', '_create']) {
      assert.ok(!session.includes(internal), `session.d.ts mentions ${internal}`);
      assert.ok(!client.includes(internal), `client.d.ts mentions ${internal}`);
      assert.ok(!agent.includes(internal), `agent.d.ts mentions ${internal}`);
    }
    assert.match(session, /private constructor\(\);/);
    assert.match(agent, /private constructor\(\);/);
  });

  it('makes end states read-only: set by end(), never by assignment', async () => {
    const s = new api.Client().startSession();
    const a = s.createAgent({ name: 'a' });
    await s.end('Fail', 'it broke');
    assert.equal(s.endState, 'Fail');
    assert.equal(s.endStateReason, 'it broke');
    assert.equal(typeof s.endTimeNs, 'bigint');
    assert.equal(typeof a.endTimeNs, 'bigint');
    assert.throws(() => ((s as unknown as { endState: string }).endState = 'Success'), TypeError);
    assert.throws(() => ((a as unknown as { endTimeNs: bigint }).endTimeNs = 1n), TypeError);
    assert.equal(s.endState, 'Fail');
    for (const [file, field] of [
      ['client/session.d.ts', 'endState'],
      ['client/session.d.ts', 'endStateReason'],
      ['client/session.d.ts', 'endTimeNs'],
      ['client/agent.d.ts', 'endTimeNs'],
    ]) {
      assert.match(declarations(file), new RegExp(`get ${field}\\(\\)`), `${file}: ${field} is a getter`);
      assert.doesNotMatch(declarations(file), new RegExp(`^\\s*${field}:`, 'm'), `${file}: ${field} is not a writable field`);
    }
  });
});
