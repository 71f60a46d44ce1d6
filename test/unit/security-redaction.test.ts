/**
 * Security, in-process: TLS option mapping per sslmode, TLS failures classified as configuration
 * problems, and secrets kept out of configuration errors and (nested) log fields.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ConfigError } from '../../src/config/errors';
import { ConfigSource } from '../../src/config/source';
import { readOtlpConfig, readTelemetryConfig } from '../../src/config/telemetry-config';
import { readPostgresConfig, sslOptions, type PostgresConnectionConfig } from '../../src/exporters/postgres/config';
import { classifyError, isTlsError } from '../../src/exporters/postgres/errors';
import { JsonLogger } from '../../src/shared/logger';
import { registerSecret } from '../../src/shared/redact';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function conn(sslMode: PostgresConnectionConfig['sslMode'], sslRootCert?: string): PostgresConnectionConfig {
  return { host: 'db.example', port: 5432, user: 'u', password: undefined, database: 'd', sslMode, sslRootCert, sslRootCertPath: undefined };
}

/** A certificate as checkServerIdentity sees it, naming only `name`. */
const certFor = (name: string): tls.PeerCertificate => ({ subject: { CN: name }, subjectaltname: `DNS:${name}` }) as unknown as tls.PeerCertificate;

describe('security: sslmode → TLS options', () => {
  it('disable sends no TLS; require encrypts without verifying', () => {
    assert.equal(sslOptions(conn('disable')), false);
    assert.deepEqual(sslOptions(conn('require')), { rejectUnauthorized: false });
  });

  it('verify-ca verifies the chain against the CA but accepts any host name', () => {
    const o = sslOptions(conn('verify-ca', CA));
    assert.ok(o !== false);
    assert.equal(o.ca, CA);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(typeof o.checkServerIdentity, 'function');
    assert.equal(o.checkServerIdentity!('db.example', certFor('other.example')), undefined);
  });

  it("verify-full verifies the chain and the host name (Node's own check, not overridden)", () => {
    const o = sslOptions(conn('verify-full', CA));
    assert.ok(o !== false);
    assert.equal(o.ca, CA);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.checkServerIdentity, undefined);
    // What Node then applies: a name not in the certificate is an error.
    assert.ok(tls.checkServerIdentity('db.example', certFor('other.example')) instanceof Error);
    assert.equal(tls.checkServerIdentity('db.example', certFor('db.example')), undefined);
  });

  it('require with a CA file behaves like verify-ca (libpq)', () => {
    const o = sslOptions(conn('require', CA));
    assert.ok(o !== false);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.ca, CA);
  });
});

describe('security: TLS failures are configuration problems', () => {
  const err = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
  it('classifies certificate and host-name failures as config (no pointless retries)', () => {
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'CERT_HAS_EXPIRED',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ]) {
      assert.equal(isTlsError(err(code)), true, code);
      assert.equal(classifyError(err(code)), 'config', code);
    }
    assert.equal(classifyError(new Error('The server does not support SSL connections')), 'config');
    assert.equal(isTlsError(err('ECONNREFUSED')), false);
    assert.equal(classifyError(err('ECONNREFUSED')), 'transient');
  });
});

describe('security: secrets in configuration errors and logs', () => {
  it('an OTLP header entry without a key is reported without quoting it', () => {
    const token = 'Tk-unit-5e1f0a9b';
    for (const value of [`Bearer ${token}`, `authorization=Bearer%20x,${token}`]) {
      assert.throws(
        () => readOtlpConfig(new ConfigSource({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: value }, {})),
        (e: unknown) => e instanceof ConfigError && e.variable === 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' && !e.message.includes(token) && /#\d/.test(e.message),
      );
    }
  });

  it('a token with "=" but no key (a bogus header name) is refused, not sent, and masked from then on', () => {
    const token = 'Tk-unit-77aa01==';
    assert.throws(
      () => readOtlpConfig(new ConfigSource({ OTEL_EXPORTER_OTLP_HEADERS: `Bearer ${token}` }, {})),
      (e: unknown) => e instanceof ConfigError && e.variable === 'OTEL_EXPORTER_OTLP_HEADERS' && !e.message.includes('Tk-unit-77aa01'),
    );
    const { config, errors } = readTelemetryConfig(new ConfigSource({ OTEL_EXPORTER_OTLP_HEADERS: `Bearer ${token}` }, {}));
    assert.equal(config.otlp, undefined, 'Jaeger off rather than a request Node would refuse, quoting the header');
    assert.equal(errors.length, 1);
    // Valid headers still work.
    assert.deepEqual(readOtlpConfig(new ConfigSource({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc==,x-api-key=k1' }, {})).headers, { authorization: 'Bearer abc==', 'x-api-key': 'k1' });
  });

  it('a config file that is not JSON is reported without quoting its text', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-sec-unit-'));
    try {
      const file = path.join(dir, 'c.json');
      const pw = 'Pw-unit-c0ffee42';
      for (const text of [`{"AGENTOPS_PG_PASSWORD": ${pw}}`, `{"AGENTOPS_PG_PASSWORD": "${pw}" "x": 1}`, `{"AGENTOPS_PG_URL": "postgres://u:${pw}@h/d",}`]) {
        fs.writeFileSync(file, text);
        const src = new ConfigSource({ AGENTOPS_CONFIG: file });
        assert.equal(src.fileErrors.length, 1, text);
        assert.ok(!src.fileErrors[0]!.message.includes('Pw-unit'), src.fileErrors[0]!.message);
        assert.match(src.fileErrors[0]!.message, /AGENTOPS_CONFIG: file .* is not valid JSON/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the PostgreSQL password is registered before anything can print it', () => {
    const pw = 'Pw-unit-b16b00b5';
    assert.throws(
      () => readPostgresConfig(new ConfigSource({ AGENTOPS_PG_URL: `postgres://u:${pw}@h/d?sslmode=sometimes` }, {})),
      (e: unknown) => e instanceof ConfigError && !e.message.includes(pw),
    );
    const lines: string[] = [];
    new JsonLogger({ write: (l) => lines.push(l) }).warn(`connecting with ${pw}`);
    assert.ok(!lines.join('').includes(pw));
  });

  it('the logger masks registered secrets in nested fields and arrays too', () => {
    const secret = 'Sx-unit-deadbeef';
    registerSecret(secret);
    const lines: string[] = [];
    const log = new JsonLogger({ write: (l) => lines.push(l), level: 'debug' });
    log.warn('m', { error: { code: 'X', message: `auth ${secret} failed` }, samples: [{ v: secret }], url: `https://u:${'p4ssw0rd-x'}@h/`, n: 3n });
    const out = lines.join('');
    assert.ok(!out.includes(secret), out);
    assert.ok(!out.includes('p4ssw0rd-x'), out);
    const rec = JSON.parse(out);
    assert.equal(rec.error.code, 'X', 'structure kept');
    assert.equal(rec.n, '3');
  });
});
