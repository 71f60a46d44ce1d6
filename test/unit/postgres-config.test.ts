import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../src/config/errors';
import { ConfigSource } from '../../src/config/source';
import { redactSecrets } from '../../src/shared/redact';
import { describePostgresConfig, describeTarget, poolConfig, readPostgresConfig } from '../../src/exporters/postgres/config';
import { assertTableName, isValidTableName, quoteIdent, tableNames } from '../../src/exporters/postgres/identifier';

const src = (env: Record<string, string>) => new ConfigSource(env, {});

function configError(env: Record<string, string>, variable: string): ConfigError {
  try {
    readPostgresConfig(src(env));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    assert.equal(err.variable, variable);
    assert.ok(err.message.startsWith(variable), err.message);
    return err;
  }
  assert.fail(`no ConfigError for ${JSON.stringify(env)}`);
}

describe('postgres config', () => {
  it('has sensible defaults', () => {
    const c = readPostgresConfig(src({}));
    assert.equal(c.connection.host, 'localhost');
    assert.equal(c.connection.port, 5432);
    assert.equal(c.connection.user, 'postgres');
    assert.equal(c.connection.database, 'agentops');
    assert.equal(c.connection.sslMode, 'disable');
    assert.equal(c.table, 'agentops_spans');
    assert.equal(c.autoMigrate, true);
    assert.ok(c.spoolDir.startsWith(os.tmpdir()));
    const p = poolConfig(c);
    assert.equal(p.allowExitOnIdle, true);
    assert.equal(p.ssl, false);
  });

  it('reads the URL, lets the separate variables override parts, decodes the password', () => {
    const c = readPostgresConfig(src({ AGENTOPS_PG_URL: 'postgresql://alice:p%40ss%2Fw0rd@db.example:6543/traces?sslmode=require', AGENTOPS_PG_DATABASE: 'other', AGENTOPS_PG_PORT: '7000' }));
    assert.equal(c.connection.host, 'db.example');
    assert.equal(c.connection.port, 7000);
    assert.equal(c.connection.user, 'alice');
    assert.equal(c.connection.password, 'p@ss/w0rd');
    assert.equal(c.connection.database, 'other');
    assert.equal(c.connection.sslMode, 'require');
    assert.deepEqual(poolConfig(c).ssl, { rejectUnauthorized: false });
  });

  it('does not register the well-known default password (it would mask the word "postgres" everywhere)', () => {
    readPostgresConfig(src({}));
    assert.equal(redactSecrets('postgres://u:x@h/db uses postgres'), 'postgres://u:****@h/db uses postgres');
  });

  it('registers the password as a secret (decoded and encoded forms)', () => {
    const pw = `Zq9-${Date.now()}-secret`;
    readPostgresConfig(src({ AGENTOPS_PG_URL: `postgres://u:${encodeURIComponent(pw + '/x')}@h/db` }));
    assert.ok(!redactSecrets(`failed with ${pw}/x`).includes(pw));
    const pw2 = `Kx7-${Date.now()}-other`;
    const c = readPostgresConfig(src({ AGENTOPS_PG_PASSWORD: pw2 }));
    assert.equal(c.connection.password, pw2);
    assert.ok(!redactSecrets(`password is ${pw2} here`).includes(pw2));
    assert.ok(!describeTarget(c.connection).includes(pw2));
  });

  it('rejects bad values with a ConfigError naming the variable', () => {
    configError({ AGENTOPS_PG_URL: 'mysql://x@y/z' }, 'AGENTOPS_PG_URL');
    configError({ AGENTOPS_PG_URL: 'not a url' }, 'AGENTOPS_PG_URL');
    configError({ AGENTOPS_PG_URL: 'postgres://h/db?sslmode=maybe' }, 'AGENTOPS_PG_URL');
    configError({ AGENTOPS_PG_PORT: '70000' }, 'AGENTOPS_PG_PORT');
    configError({ AGENTOPS_PG_SSLMODE: 'prefer-ish' }, 'AGENTOPS_PG_SSLMODE');
    configError({ AGENTOPS_PG_SSLMODE: 'verify-full', AGENTOPS_PG_SSLROOTCERT: '/nonexistent/ca.pem' }, 'AGENTOPS_PG_SSLROOTCERT');
    configError({ AGENTOPS_PG_POOL_SIZE: '0' }, 'AGENTOPS_PG_POOL_SIZE');
    configError({ AGENTOPS_PG_BATCH_SIZE: 'lots' }, 'AGENTOPS_PG_BATCH_SIZE');
    configError({ AGENTOPS_PG_AUTO_MIGRATE: 'perhaps' }, 'AGENTOPS_PG_AUTO_MIGRATE');
    configError({ AGENTOPS_PG_RETRY_BASE_MS: '500', AGENTOPS_PG_RETRY_MAX_DELAY_MS: '100' }, 'AGENTOPS_PG_RETRY_MAX_DELAY_MS');
    for (const bad of ['spans; DROP TABLE x', 'Spans', '1abc', 'a"b', 'x'.repeat(47), '', 'public.spans']) {
      configError({ AGENTOPS_PG_TABLE: bad === '' ? ' ' : bad }, 'AGENTOPS_PG_TABLE');
    }
  });

  it('never puts the password into a ConfigError message', () => {
    const pw = `Secret-${Date.now()}-pw`;
    const err = configError({ AGENTOPS_PG_URL: `postgres://u:${pw}@h:99999/db` }, 'AGENTOPS_PG_URL');
    assert.ok(!err.message.includes(pw), err.message);
  });

  it('reads a CA file for verify-full', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-ca-'));
    const ca = path.join(dir, 'ca.pem');
    fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const c = readPostgresConfig(src({ AGENTOPS_PG_SSLMODE: 'verify-full', AGENTOPS_PG_SSLROOTCERT: ca }));
    assert.deepEqual(poolConfig(c).ssl, { ca: fs.readFileSync(ca, 'utf8'), rejectUnauthorized: true });
    const notPem = path.join(dir, 'x.txt');
    fs.writeFileSync(notPem, 'hello');
    configError({ AGENTOPS_PG_SSLMODE: 'verify-ca', AGENTOPS_PG_SSLROOTCERT: notPem }, 'AGENTOPS_PG_SSLROOTCERT');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('partition interval and retention: valid values; a malformed one is one warning naming the variable, and the default (nothing dropped)', () => {
    const ok = readPostgresConfig(src({ AGENTOPS_PG_PARTITION_INTERVAL: 'Month', AGENTOPS_PG_RETENTION_DAYS: ' 30 ' }));
    assert.deepEqual([ok.partitionInterval, ok.retentionDays, ok.warnings], ['month', 30, []]);
    const def = readPostgresConfig(src({}));
    assert.deepEqual([def.partitionInterval, def.retentionDays], ['day', 0]);
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ AGENTOPS_PG_PARTITION_INTERVAL: 'fortnight' }, 'AGENTOPS_PG_PARTITION_INTERVAL', /"fortnight" is not a known value; expected one of day, week, month; using the default day$/],
      [{ AGENTOPS_PG_RETENTION_DAYS: '-1' }, 'AGENTOPS_PG_RETENTION_DAYS', /-1 is out of range; expected an integer from 0 to 36500; using the default 0$/],
      [{ AGENTOPS_PG_RETENTION_DAYS: '7d' }, 'AGENTOPS_PG_RETENTION_DAYS', /"7d" is not a whole number; .*using the default 0$/],
      [{ AGENTOPS_PG_RETENTION_DAYS: '1e3' }, 'AGENTOPS_PG_RETENTION_DAYS', /using the default 0$/],
      [{ AGENTOPS_PG_RETENTION_DAYS: '99999999' }, 'AGENTOPS_PG_RETENTION_DAYS', /out of range/],
    ];
    for (const [env, variable, re] of cases) {
      const c = readPostgresConfig(src(env));
      assert.equal(c.warnings.length, 1, JSON.stringify(env));
      assert.equal(c.warnings[0].variable, variable);
      assert.ok(c.warnings[0].message.startsWith(`${variable}: `), c.warnings[0].message);
      assert.match(c.warnings[0].message, re);
      assert.ok(!c.warnings[0].message.includes('\n'));
      assert.deepEqual([c.partitionInterval, c.retentionDays], ['day', 0], 'the default is used');
    }
  });

  it('describes every variable it reads', () => {
    const described = new Set(describePostgresConfig().map((v) => v.variable));
    const s = src({});
    readPostgresConfig(s);
    for (const name of s.read.keys()) assert.ok(described.has(name), `${name} is read but not described`);
    for (const v of describePostgresConfig()) assert.ok(v.default !== '' && v.meaning !== '', v.variable);
  });
});

describe('postgres identifier validation', () => {
  it('accepts plain lower-case identifiers only', () => {
    for (const ok of ['agentops_spans', '_x', 'a1', 'a'.repeat(46)]) assert.ok(isValidTableName(ok), ok);
    for (const bad of ['A', 'a-b', 'a b', 'a;', '"a"', 'a'.repeat(47), 'é', '9a', '', 'a\u0000']) assert.ok(!isValidTableName(bad), bad);
    assert.throws(() => assertTableName('x"; DROP TABLE y; --'));
    assert.equal(quoteIdent('agentops_spans'), '"agentops_spans"');
  });

  it("derived names fit PostgreSQL's 63-byte limit for the longest table name", () => {
    const n = tableNames('a'.repeat(46));
    for (const v of [...Object.values(n), n.table + '_pkey', n.deadLetter + '_pkey']) assert.ok(v.length <= 63, v);
  });
});

describe('postgres spool directory', () => {
  it("defaults to one directory per target, so one database never replays another's rows", () => {
    const dir = (env: Record<string, string>) => readPostgresConfig(new ConfigSource(env, {})).spoolDir;
    const a = dir({ AGENTOPS_PG_URL: 'postgres://u:p@db1:5432/app' });
    assert.equal(dir({ AGENTOPS_PG_URL: 'postgres://other:x@db1:5432/app' }), a, 'the same target, whoever connects');
    for (const other of ['postgres://u:p@db2:5432/app', 'postgres://u:p@db1:5433/app', 'postgres://u:p@db1:5432/app2']) assert.notEqual(dir({ AGENTOPS_PG_URL: other }), a, other);
    assert.notEqual(dir({ AGENTOPS_PG_URL: 'postgres://u:p@db1:5432/app', AGENTOPS_PG_TABLE: 'other_spans' }), a);
    assert.equal(dir({ AGENTOPS_PG_URL: 'postgres://u:p@db1:5432/app', AGENTOPS_PG_SPOOL_DIR: '/var/spool/x' }), '/var/spool/x', 'an explicit directory is used as given');
  });
});
