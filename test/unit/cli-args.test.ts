import * as assert from 'node:assert/strict';
import { parseCommandArgs, parseIntOption, parseSessionId, parseTime, renderHelp, type CommandSpec } from '../../src/cli/args';
import { CliError, EXIT_USAGE, UsageError, describeDbError } from '../../src/cli/errors';

const spec: CommandSpec = {
  name: 'x',
  summary: 'does x',
  args: '<id>',
  minPositionals: 1,
  maxPositionals: 1,
  options: { json: { type: 'boolean', description: 'json' }, since: { type: 'string', value: '<time>', description: 'since' }, tag: { type: 'string', multiple: true, description: 'tag' } },
};

function usage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof UsageError && err.exitCode === EXIT_USAGE && message.test(err.message));
}

describe('cli arguments', () => {
  it('parses options, repeated options and positionals', () => {
    const r = parseCommandArgs(spec, ['abc', '--json', '--since', '2h', '--tag', 'a', '--tag', 'b']);
    assert.deepEqual(r.positionals, ['abc']);
    assert.equal(r.values.json, true);
    assert.equal(r.values.since, '2h');
    assert.deepEqual(r.values.tag, ['a', 'b']);
  });

  it('rejects unknown options, missing values and wrong positional counts with one line', () => {
    usage(() => parseCommandArgs(spec, ['abc', '--nope']), /^x: unknown option --nope$/);
    usage(() => parseCommandArgs(spec, ['abc', '--since']), /^x: option --since needs a value$/);
    usage(() => parseCommandArgs(spec, ['abc', '--json=1']), /^x: option --json takes no value$/);
    usage(() => parseCommandArgs(spec, []), /^x: missing <id>$/);
    usage(() => parseCommandArgs(spec, ['a', 'b']), /^x: unexpected argument "b"$/);
  });

  it('lets --help through without the required arguments', () => {
    assert.equal(parseCommandArgs(spec, ['--help']).values.help, true);
    assert.equal(parseCommandArgs(spec, ['-h']).values.help, true);
  });

  it('renders help from the same spec', () => {
    const h = renderHelp(spec);
    assert.match(h, /^Usage: agentops-otel x <id> \[options\]/);
    assert.match(h, /--since <time>\s+since/);
    assert.match(h, /--tag <value>\s+tag Repeatable\./);
    assert.match(h, /-h, --help/);
    assert.match(h, /-v, --verbose/);
  });

  it('accepts a session UUID or its 32 hex digits', () => {
    assert.equal(parseSessionId('0B3C5F1E-6D2A-4C8B-9E7F-1A2B3C4D5E6F'), '0b3c5f1e-6d2a-4c8b-9e7f-1a2b3c4d5e6f');
    assert.equal(parseSessionId('0b3c5f1e6d2a4c8b9e7f1a2b3c4d5e6f'), '0b3c5f1e-6d2a-4c8b-9e7f-1a2b3c4d5e6f');
    usage(() => parseSessionId('0b3c5f1e'), /is not a session id/);
    usage(() => parseSessionId("x'; drop table t; --"), /is not a session id/);
  });

  it('parses times: durations ago, ISO, epoch ms, now', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    assert.equal(parseTime('2h', '--since', now), now - 7_200_000);
    assert.equal(parseTime('30m', '--since', now), now - 1_800_000);
    assert.equal(parseTime('7d', '--since', now), now - 7 * 86_400_000);
    assert.equal(parseTime('now', '--since', now), now);
    assert.equal(parseTime('2024-05-01', '--since', now), Date.parse('2024-05-01'));
    assert.equal(parseTime('2024-05-01T10:00:00Z', '--since', now), now - 7_200_000);
    assert.equal(parseTime('1714564800000', '--since', now), 1714564800000);
    usage(() => parseTime('yesterday', '--since', now), /^--since: "yesterday" is not a time$/);
    usage(() => parseTime('2024-13-45', '--until', now), /^--until:/);
  });

  it('checks integer options', () => {
    assert.equal(parseIntOption(undefined, '--limit', 20, 1, 10), 20);
    assert.equal(parseIntOption('5', '--limit', 20, 1, 10), 5);
    usage(() => parseIntOption('0', '--limit', 20, 1, 10), /out of range/);
    usage(() => parseIntOption('x', '--limit', 20, 1, 10), /not a whole number/);
  });

  it('maps database errors to one line with a remedy', () => {
    const refused = describeDbError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'postgres://u:****@h:1/db');
    assert.ok(refused instanceof CliError && refused.exitCode === 1);
    assert.equal(refused.message, 'cannot connect to PostgreSQL at postgres://u:****@h:1/db: connection refused');
    assert.match(refused.hint ?? '', /AGENTOPS_PG_URL/);
    assert.match(describeDbError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), 't').message, /refused the credentials/);
    assert.match(describeDbError(Object.assign(new Error('relation "x_sessions" does not exist'), { code: '42P01' }), 't', 'x').hint ?? '', /agentops-otel migrate/);
  });
});
