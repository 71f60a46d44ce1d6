import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderVariablesTable, withVariablesTable } from '../../src/preload/docs';
import { readInstrumentationConfig } from '../../instrumentations/config';
import { ConfigSource } from '../../src/config/source';
import { readTelemetryConfig } from '../../src/config/telemetry-config';
import { readOtlpExporterConfig } from '../../src/exporters/otlp/config';
import { readPostgresConfig } from '../../src/exporters/postgres/config';
import { readMetricsConfig } from '../../src/preload/metrics';
import { readAutoSessionMode } from '../../instrumentations/genai/auto-session';

const README = path.join(__dirname, '..', '..', '..', 'README.md');

describe('docs: the README configuration table', () => {
  it('is the rendering of the variables the code documents (run `node dist/src/preload/docs.js --write`)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    assert.equal(withVariablesTable(readme), readme);
  });

  it('names every variable the preload reads', () => {
    const src = new ConfigSource({}, {});
    const { config } = readTelemetryConfig(src);
    readPostgresConfig(src);
    readOtlpExporterConfig(src, config.otlp!, config.batch, []);
    readInstrumentationConfig(src, ['agentops', 'openai', 'anthropic', 'openai-agents', 'google-genai', 'aws-bedrock']);
    readMetricsConfig(src, config.otlp);
    readAutoSessionMode(src);
    const table = renderVariablesTable();
    const missing = [...src.read.keys()].filter((name) => !table.includes(name));
    assert.deepEqual(missing, []);
    assert.ok(src.read.size > 40, `only ${src.read.size} variables were read: the check would be hollow`);
  });
});
