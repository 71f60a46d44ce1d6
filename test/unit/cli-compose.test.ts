/**
 * docker-compose.yml agrees with the code's defaults (no Docker engine here, so the file is read,
 * not run): ports, the variables the example is configured with, the schema mount, the volume and
 * the health check. A tiny parser for the YAML subset compose files use (block mappings and
 * sequences, scalars, flow sequences) keeps this free of dependencies; the checks are run on
 * altered copies too, so a mismatch really fails.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigSource } from '../../src/config/source';
import { readOtlpConfig } from '../../src/config/telemetry-config';
import { CORE_VARIABLES } from '../../src/config/variables';
import { DEFAULT_PG_URL, describePostgresConfig, readPostgresConfig } from '../../src/exporters/postgres';

const ROOT = path.resolve(__dirname, '..', '..', '..');

type Yaml = string | Yaml[] | { [k: string]: Yaml } | null;

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function scalar(raw: string): Yaml {
  const t = raw.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t.startsWith('[')) return JSON.parse(t.replace(/'/g, '"')) as Yaml;
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

/** Block-style YAML: mappings, `- ` sequences, scalars, flow sequences. Enough for compose files. */
export function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((l) => stripComment(l).replace(/\s+$/, ''))
    .filter((l) => l.trim() !== '')
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const block = (indent: number): Yaml => {
    if (i >= lines.length || lines[i].indent < indent) return null;
    const ind = lines[i].indent;
    if (lines[i].text.startsWith('- ') || lines[i].text === '-') {
      const arr: Yaml[] = [];
      while (i < lines.length && lines[i].indent === ind && lines[i].text.startsWith('-')) {
        const rest = lines[i].text.slice(1).trim();
        i++;
        if (rest === '') arr.push(block(ind + 1));
        else if (/^[\w.-]+:(\s|$)/.test(rest) && !rest.startsWith('"')) {
          // "- key: value" starts a mapping item
          lines.splice(i, 0, { indent: ind + 2, text: rest });
          arr.push(block(ind + 2));
        } else arr.push(scalar(rest));
      }
      return arr;
    }
    const obj: { [k: string]: Yaml } = {};
    while (i < lines.length && lines[i].indent === ind && !lines[i].text.startsWith('- ')) {
      const m = /^("[^"]*"|'[^']*'|[^:]+):(?:\s+(.*))?$/.exec(lines[i].text);
      assert.ok(m, `cannot parse line: ${lines[i].text}`);
      const key = scalar(m[1]) as string;
      i++;
      if (m[2] !== undefined && m[2] !== '') obj[key] = scalar(m[2]);
      else obj[key] = i < lines.length && lines[i].indent > ind ? block(lines[i].indent) : null;
    }
    return obj;
  };
  return block(0);
}

type Obj = { [k: string]: Yaml };
const obj = (y: Yaml | undefined): Obj => (y !== null && typeof y === 'object' && !Array.isArray(y) ? y : {});
const arr = (y: Yaml | undefined): Yaml[] => (Array.isArray(y) ? y : []);

/** `host:container` port pairs of a service (short syntax). */
function ports(service: Obj): Array<[number, number]> {
  return arr(service.ports).map((p) => {
    const parts = String(p).split('/')[0].split(':');
    return [Number(parts[parts.length - 2]), Number(parts[parts.length - 1])];
  });
}

function environment(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries(obj(env)).map(([k, v]) => [k, String(v)]));
}

/** Every disagreement between the compose file and the code's defaults; empty when they agree. */
export function composeProblems(text: string): string[] {
  const problems: string[] = [];
  const doc = obj(parseYaml(text));
  const services = obj(doc.services);
  const jaeger = obj(services.jaeger);
  const postgres = obj(services.postgres);
  const example = obj(services.example);
  for (const [name, s] of Object.entries({ jaeger, postgres, example })) if (Object.keys(s).length === 0) problems.push(`service ${name} is missing`);

  const otlpDefault = new URL(readOtlpConfig(new ConfigSource({}, {})).url);
  const otlpPort = Number(otlpDefault.port);
  const jp = ports(jaeger);
  if (!jp.some(([h, c]) => h === 16686 && c === 16686)) problems.push('jaeger must publish the UI on 16686:16686');
  if (!jp.some(([h, c]) => h === otlpPort && c === 4318)) problems.push(`jaeger must publish OTLP/HTTP 4318 on the default endpoint's port ${otlpPort}`);

  const pgDefault = new URL(DEFAULT_PG_URL);
  const pgPort = Number(pgDefault.port || 5432);
  const user = decodeURIComponent(pgDefault.username);
  const password = decodeURIComponent(pgDefault.password);
  const db = pgDefault.pathname.slice(1);
  const penv = environment(postgres);
  if (penv.POSTGRES_USER !== user) problems.push(`POSTGRES_USER ${penv.POSTGRES_USER} is not the default user ${user}`);
  if (penv.POSTGRES_PASSWORD !== password) problems.push('POSTGRES_PASSWORD is not the default password');
  if (penv.POSTGRES_DB !== db) problems.push(`POSTGRES_DB ${penv.POSTGRES_DB} is not the default database ${db}`);
  if (!ports(postgres).some(([h, c]) => h === pgPort && c === 5432)) problems.push(`postgres must publish 5432 on the default port ${pgPort}`);
  const volumes = arr(postgres.volumes).map(String);
  const schema = volumes.find((v) => /^\.\/schema\.sql:\/docker-entrypoint-initdb\.d\/[^:]+\.sql(:ro)?$/.test(v));
  if (!schema) problems.push('./schema.sql must be mounted into /docker-entrypoint-initdb.d/');
  const dataVolume = volumes.find((v) => /^[a-z][\w-]*:\/var\/lib\/postgresql\/data(:\w+)?$/.test(v));
  if (!dataVolume) problems.push('a named volume must hold /var/lib/postgresql/data');
  else if (!(dataVolume.split(':')[0] in obj(doc.volumes))) problems.push(`volume ${dataVolume.split(':')[0]} is not declared at the top level`);
  const hc = arr(obj(postgres.healthcheck).test).map(String).join(' ');
  if (!/pg_isready/.test(hc) || !hc.includes(`-U ${user}`) || !hc.includes(`-d ${db}`)) problems.push('the postgres health check must run pg_isready -U <user> -d <db>');

  const eenv = environment(example);
  const known = new Set([...CORE_VARIABLES.map((v) => v.variable), ...describePostgresConfig().map((v) => v.variable)]);
  for (const k of Object.keys(eenv)) if (!known.has(k)) problems.push(`example sets ${k}, which agentops-otel does not read`);
  const url = eenv.AGENTOPS_PG_URL ? new URL(eenv.AGENTOPS_PG_URL) : undefined;
  if (!url) problems.push('example must set AGENTOPS_PG_URL');
  else {
    if (url.hostname !== 'postgres') problems.push(`AGENTOPS_PG_URL host ${url.hostname} is not the postgres service`);
    if (Number(url.port || 5432) !== 5432) problems.push('AGENTOPS_PG_URL must use the container port 5432');
    if (decodeURIComponent(url.username) !== user || decodeURIComponent(url.password) !== password || url.pathname.slice(1) !== db)
      problems.push('AGENTOPS_PG_URL credentials/database differ from the postgres service');
  }
  const endpoint = eenv.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? eenv.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) problems.push('example must set OTEL_EXPORTER_OTLP_ENDPOINT');
  else {
    const u = new URL(endpoint);
    if (u.hostname !== 'jaeger' || Number(u.port) !== 4318) problems.push(`OTLP endpoint ${endpoint} is not jaeger:4318`);
  }
  if (eenv.AGENTOPS_PG_TABLE !== undefined) {
    const table = readPostgresConfig(new ConfigSource({}, {})).table;
    if (eenv.AGENTOPS_PG_TABLE !== table) problems.push(`AGENTOPS_PG_TABLE ${eenv.AGENTOPS_PG_TABLE} is not the default ${table} the schema.sql mount creates`);
  }
  const cmd = arr(example.command).map(String).join(' ') || String(example.command ?? '');
  if (!cmd.includes('--require ./dist/register.js') || !cmd.includes('dist/examples/multi-agent.js')) problems.push('example must run dist/examples/multi-agent.js with --require ./dist/register.js');
  if (obj(obj(example.depends_on).postgres).condition !== 'service_healthy') problems.push('example must wait for postgres to be healthy');
  return problems;
}

describe('docker-compose.yml', () => {
  const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

  it("agrees with the code's defaults (ports, variables, schema mount, volume, health check)", () => {
    assert.deepEqual(composeProblems(text), []);
    assert.ok(fs.existsSync(path.join(ROOT, 'schema.sql')), 'the mounted schema.sql exists');
  });

  it('parses the subset of YAML it uses', () => {
    const y = parseYaml('a:\n  b: "x # not a comment" # comment\n  c:\n    - "1:2"\n    - k: v\n      k2: v2\n  d: ["CMD", "x y"]\n') as Obj;
    assert.deepEqual(y, { a: { b: 'x # not a comment', c: ['1:2', { k: 'v', k2: 'v2' }], d: ['CMD', 'x y'] } });
  });

  it('reports each kind of disagreement', () => {
    const mutate = (from: string | RegExp, to: string): string[] => {
      const changed = text.replace(from, to);
      assert.notEqual(changed, text, `the file contains ${String(from)}`);
      return composeProblems(changed);
    };
    assert.match(mutate('"4318:4318"', '"4319:4318"').join('\n'), /OTLP\/HTTP 4318/);
    assert.match(mutate('"5432:5432"', '"5433:5432"').join('\n'), /postgres must publish 5432/);
    assert.match(mutate('POSTGRES_DB: agentops', 'POSTGRES_DB: other').join('\n'), /POSTGRES_DB other/);
    assert.match(mutate('AGENTOPS_PG_TABLE:', 'AGENTOPS_PG_TABLES:').join('\n'), /AGENTOPS_PG_TABLES, which agentops-otel does not read/);
    assert.match(mutate('/docker-entrypoint-initdb.d/', '/docker-entrypoint.d/').join('\n'), /schema\.sql must be mounted/);
    assert.match(mutate('http://jaeger:4318', 'http://jaeger:4317').join('\n'), /not jaeger:4318/);
    assert.match(mutate('@postgres:5432/agentops', '@localhost:5432/agentops').join('\n'), /host localhost is not the postgres service/);
    assert.match(mutate(/^volumes:\n {2}pgdata:\n/m, 'volumes:\n').join('\n'), /pgdata is not declared/);
  });
});
