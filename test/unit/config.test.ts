import * as assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/errors';
import { readBool, readInt, readKeyValues } from '../../src/config/parse';
import { ConfigSource } from '../../src/config/source';
import { readOtlpConfig, readTelemetryConfig } from '../../src/config/telemetry-config';

const source = (env: Record<string, string>, file?: Record<string, string>) => new ConfigSource(env, file);

describe('config: reading and validating variables', () => {
  it('applies the defaults of an empty environment', () => {
    const { config, errors } = readTelemetryConfig(source({}));
    assert.deepEqual(errors, []);
    assert.equal(config.serviceName, 'agentops');
    assert.deepEqual(config.exporters, ['jaeger', 'postgres']);
    assert.equal(config.otlp?.url, 'http://localhost:4318/v1/traces');
    assert.equal(config.otlp?.protocol, 'http/protobuf');
    assert.equal(config.batch.maxQueueSize, 4096);
    assert.equal(config.exportThreadNice, 10);
    assert.equal(config.captureContent, true);
  });

  it('follows the OTLP endpoint rules of the specification', () => {
    assert.equal(readOtlpConfig(source({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).url, 'http://jaeger:4318/v1/traces');
    assert.equal(readOtlpConfig(source({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom' })).url, 'https://b/custom');
    const cfg = readOtlpConfig(
      source({ OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=3', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip' }),
    );
    assert.deepEqual(cfg.headers, { a: '1', b: '3' });
    assert.equal(cfg.protocol, 'http/json');
    assert.equal(cfg.compression, 'gzip');
  });

  it('takes the service name from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES', () => {
    assert.equal(readTelemetryConfig(source({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=r,deployment.environment=prod' })).config.serviceName, 'r');
    assert.equal(readTelemetryConfig(source({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=r', OTEL_SERVICE_NAME: 's' })).config.serviceName, 's');
  });

  it('names the variable, the problem and the expected form', () => {
    assert.throws(
      () => readInt(source({ X: '1.5' }), 'X', 0, 0, 10),
      (e: ConfigError) => e.message === 'X: "1.5" is not a whole number; expected an integer from 0 to 10',
    );
    assert.throws(() => readBool(source({ X: 'si' }), 'X', true), /X: "si" is not a boolean; expected true or false/);
    assert.throws(() => readKeyValues(source({ H: 'a=%zz' }), 'H'), /H: an entry has invalid percent-encoding/);
  });

  it('masks credentials in an error about a URL', () => {
    const { errors } = readTelemetryConfig(source({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://user:hunter22@bad host/x' }));
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /is not a URL/);
    assert.ok(!errors[0].message.includes('hunter22'), errors[0].message);
  });

  it('prefers the environment over the file', () => {
    const src = source({ OTEL_SERVICE_NAME: 'env' }, { OTEL_SERVICE_NAME: 'file', AGENTOPS_EXPORTERS: 'jaeger' });
    const { config } = readTelemetryConfig(src);
    assert.equal(config.serviceName, 'env');
    assert.deepEqual(config.exporters, ['jaeger']);
    assert.equal(src.lookup('AGENTOPS_EXPORTERS').origin, 'file');
    assert.equal(src.lookup('OTEL_SERVICE_NAME').origin, 'env');
  });

  it('caps the batch size at the queue size, with a message', () => {
    const { config, errors } = readTelemetryConfig(source({ OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' }));
    assert.equal(config.batch.maxExportBatchSize, 10);
    assert.equal(errors[0].variable, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  });
});
