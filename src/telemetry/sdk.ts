/**
 * Builds the tracing pipeline the preload installs: the Resource, a NodeTracerProvider with the
 * session-aware id generator and AsyncLocalStorage context, one metered BatchSpanProcessor per
 * exporter (Jaeger over OTLP/HTTP, PostgreSQL), the instrumentations, and the exit hooks.
 */
import { diag, DiagLogLevel, trace, ProxyTracerProvider, type DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentOpsInstrumentation, INSTRUMENTATIONS } from '../../instrumentations';
import { ConfigError } from '../config/errors';
import { readInstrumentationConfig } from '../config/instrumentation-config';
import { ConfigSource } from '../config/source';
import { readTelemetryConfig, type ExporterName, type TelemetryConfig } from '../config/telemetry-config';
import { createOtlpExporter } from '../exporters/otlp';
import { sendOtlpSync } from '../exporters/otlp-sync';
import { startAutoSession } from './auto-session';
import { registerEsmHook } from './esm-hook';
import { isLoaderHooksThread } from './loader-thread';
import { installExitHooks } from './exit-hooks';
import { readMetricsConfig, startSelfMetrics, type MetricsConfig } from './metrics';
import { sessionIdGenerator } from './id-generator';
import { logger } from './logger';
import { MeteredBatchSpanProcessor } from './metered-batch-processor';
import { MeteredSpanExporter } from './metered-exporter';
import { stats } from './stats';

export interface ExportPipeline {
  name: ExporterName;
  processor: MeteredBatchSpanProcessor;
  /** The exporter itself: BatchSpanProcessor.forceFlush() does not flush what an exporter holds. */
  exporter: SpanExporter;
  /** Delivers (or spools) spans synchronously; for the exit hook, when nothing async can finish. */
  handOffSync(spans: ReadableSpan[]): void;
}

export interface TelemetryHandle {
  config: TelemetryConfig;
  source: ConfigSource;
  configErrors: ConfigError[];
  provider: NodeTracerProvider;
  pipelines: ExportPipeline[];
  instrumentations: Instrumentation[];
  endOpenSessions(reason: string): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  flushSync(): void;
}

export interface StartOptions {
  source?: ConfigSource;
  /** Flush at exit and on SIGTERM/SIGINT. Default true. */
  exitHooks?: boolean;
}

const GLOBAL_KEY = Symbol.for('agentops-otel.telemetry');
type GlobalSlot = { [GLOBAL_KEY]?: TelemetryHandle | null };

/** The running pipeline, if the preload started one. */
export function activeTelemetry(): TelemetryHandle | undefined {
  return (globalThis as GlobalSlot)[GLOBAL_KEY] ?? undefined;
}

/**
 * Starts tracing once per process: a second call (the preload loaded twice, or by both
 * --require and --import) returns the first handle. Returns undefined when disabled.
 */
export function startTelemetry(options: StartOptions = {}): TelemetryHandle | undefined {
  const slot = globalThis as GlobalSlot;
  if (slot[GLOBAL_KEY] !== undefined) return slot[GLOBAL_KEY] ?? undefined;
  if (isLoaderHooksThread()) return undefined;
  slot[GLOBAL_KEY] = null;

  const source = options.source ?? new ConfigSource();
  const { config, errors } = readTelemetryConfig(source);
  logger.level = config.logLevel;
  if (config.disabled) {
    logger.debug('agentops-otel is disabled (OTEL_SDK_DISABLED or AGENTOPS_DISABLED)');
    return undefined;
  }
  installDiagnostics();

  const pipelines: ExportPipeline[] = [];
  for (const name of config.exporters) {
    const pipeline = buildPipeline(name, config, source, errors);
    if (pipeline !== undefined) pipelines.push(pipeline);
  }
  const selection = readInstrumentationConfig(source, INSTRUMENTATIONS.map((e) => e.name));
  errors.push(...selection.errors);
  let metricsConfig: MetricsConfig | undefined;
  try {
    metricsConfig = readMetricsConfig(source, config.otlp);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(err);
  }
  for (const err of errors) logger.error(`invalid configuration: ${err.message}`, { variable: err.variable });

  const resource = buildResource(config);
  const meterProvider = metricsConfig === undefined ? undefined : startSelfMetrics(metricsConfig, resource, pipelines.map((p) => ({ name: p.name, queueDepth: () => p.processor.queueDepth() })));
  const provider = new NodeTracerProvider({
    resource,
    idGenerator: sessionIdGenerator,
    spanProcessors: pipelines.map((p) => p.processor),
  });
  registerProvider(provider);

  const selected = INSTRUMENTATIONS.filter((entry) => selection.config.enabled.includes(entry.name));
  const instrumentations = selected.map((entry) =>
    entry.create({ serviceName: config.serviceName, captureContent: config.captureContent, maxAttributeLength: config.maxAttributeLength, prices: selection.config.prices }),
  );
  warnAboutEarlyModules(selected.flatMap((entry) => entry.esmModules ?? []));
  registerInstrumentations({ tracerProvider: provider, instrumentations });
  registerEsmHook(selected.flatMap((entry) => entry.esmModules ?? []));
  startAutoSession(selection.config.autoSession);
  const agentops = instrumentations.find((i): i is AgentOpsInstrumentation => i instanceof AgentOpsInstrumentation);

  const endOpenSessions = (reason: string): void => {
    for (const session of agentops?.openSessions() ?? []) {
      try {
        void session.end('Indeterminate', reason);
      } catch (err) {
        logger.limited('warn', 'end-open-session', 'could not end an open session at exit', { error: err });
      }
    }
  };

  let summaryLogged = false;
  const handle: TelemetryHandle = {
    config,
    source,
    configErrors: errors,
    provider,
    pipelines,
    instrumentations,
    endOpenSessions,
    forceFlush: async () => {
      // Each pipeline on its own: provider.forceFlush() rejects as soon as one processor's last
      // export failed (Jaeger answering 503), and waits for a hanging one, which left PostgreSQL's
      // exporter unflushed at exit (its rows spooled instead of stored). Failures are already
      // counted and logged by the exporters.
      await Promise.all(
        pipelines.map(async (p) => {
          await p.processor.forceFlush().catch(() => undefined);
          await p.exporter.forceFlush?.().catch(() => undefined);
        }),
      );
      // After the spans, so the exported counters it reports are final.
      await meterProvider?.forceFlush();
    },
    shutdown: async () => {
      await provider.shutdown();
      await meterProvider?.shutdown();
    },
    flushSync: () => {
      for (const p of pipelines) {
        const spans = p.processor.takeQueued();
        try {
          p.handOffSync(spans);
        } catch (err) {
          stats.drop(p.name, 'exit_handoff_failed', spans.length);
          logger.limited('error', `handoff:${p.name}`, `could not hand off ${spans.length} spans at exit`, { exporter: p.name, error: err });
        }
      }
      if (!summaryLogged) {
        summaryLogged = true;
        logger.info('shutdown summary', stats.snapshot());
      }
    },
  };
  slot[GLOBAL_KEY] = handle;

  if (options.exitHooks !== false) {
    installExitHooks({ endOpen: endOpenSessions, flush: handle.forceFlush, flushSync: handle.flushSync, timeoutMillis: config.shutdownTimeoutMillis });
  }
  logger.debug('agentops-otel started', { serviceName: config.serviceName, exporters: pipelines.map((p) => p.name) });
  return handle;
}

function buildPipeline(name: ExporterName, config: TelemetryConfig, source: ConfigSource, errors: ConfigError[]): ExportPipeline | undefined {
  if (name === 'jaeger') {
    const otlp = config.otlp;
    if (otlp === undefined) return undefined; // its ConfigError is already in `errors`
    const exporter = new MeteredSpanExporter(createOtlpExporter(otlp), 'jaeger');
    return {
      name,
      exporter,
      processor: new MeteredBatchSpanProcessor(exporter, 'jaeger', config.batch),
      handOffSync: (queued) => {
        const spans = [...exporter.takeInFlight(), ...queued];
        if (spans.length === 0) return;
        const counters = stats.exporter('jaeger');
        counters.accepted += queued.length;
        const result = sendOtlpSync(otlp, spans, Math.min(config.shutdownTimeoutMillis, 3000));
        if (result.ok) counters.exported += spans.length;
        else {
          stats.drop('jaeger', 'exit_send_failed', spans.length);
          logger.warn(`jaeger: ${spans.length} spans could not be sent at exit`, { error: result.error });
        }
      },
    };
  }
  return buildPostgresPipeline(config, source, errors);
}

/** Loaded lazily: an app that turns PostgreSQL off never loads `pg`. */
function buildPostgresPipeline(config: TelemetryConfig, source: ConfigSource, errors: ConfigError[]): ExportPipeline | undefined {
  const pg = require('../exporters/postgres') as typeof import('../exporters/postgres');
  let pgConfig: ReturnType<typeof pg.readPostgresConfig>;
  try {
    pgConfig = pg.readPostgresConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      errors.push(err);
      return undefined;
    }
    throw err;
  }
  // The exporter keeps its own buffer, retries and spool, and counts its own spans.
  const exporter = new pg.PostgresSpanExporter(pgConfig);
  return {
    name: 'postgres',
    exporter,
    processor: new MeteredBatchSpanProcessor(exporter, 'postgres', config.batch),
    handOffSync: (spans) => void exporter.spoolSync(spans),
  };
}

/**
 * A package required before the preload ran cannot be patched any more. (OpenTelemetry's own
 * check looks for `globalThis.require`, which CommonJS modules do not have, so it stays silent.)
 */
function warnAboutEarlyModules(modules: readonly string[]): void {
  const loaded = Object.keys(require.cache);
  for (const name of modules) {
    const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
    if (loaded.some((file) => file.includes(marker))) {
      logger.warn(`${name} was loaded before agentops-otel/register, so its calls are not traced; load the preload first (node --require agentops-otel/register app.js)`, { module: name });
    }
  }
}

function buildResource(config: TelemetryConfig): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'host.name': os.hostname(),
      ...config.resourceAttributes,
      'service.name': config.serviceName,
    }),
  );
}

/** Registers globally unless the app (or another preload) already did; our spans use our provider either way. */
function registerProvider(provider: NodeTracerProvider): void {
  const current = trace.getTracerProvider();
  const delegate = current instanceof ProxyTracerProvider ? current.getDelegate() : current;
  if (delegate.constructor.name !== 'NoopTracerProvider') {
    logger.warn('another OpenTelemetry TracerProvider is already registered; agentops-otel keeps its own for its spans');
    return;
  }
  provider.register();
}

/** OpenTelemetry's own warnings and errors go to our log, rate-limited; never to the app's console. */
function installDiagnostics(): void {
  const forward =
    (level: 'warn' | 'error') =>
    (message: string): void =>
      logger.limited(level, `otel-diag:${message.slice(0, 48)}`, `opentelemetry: ${message}`);
  const diagLogger: DiagLogger = { error: forward('error'), warn: forward('warn'), info: () => {}, debug: () => {}, verbose: () => {} };
  diag.setLogger(diagLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  setGlobalErrorHandler((err) => logger.limited('warn', 'otel-error', 'opentelemetry export error', { error: err }));
}
