/**
 * Builds the tracing pipeline the preload installs: the Resource, a NodeTracerProvider with the
 * session-aware id generator and AsyncLocalStorage context, the hand-off span processor that
 * passes every ended span to the export engine (a worker thread running the Jaeger and
 * PostgreSQL destinations), the instrumentations, and the exit hooks.
 */
import { diag, DiagLogLevel, trace, ProxyTracerProvider, type DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentOpsInstrumentation, INSTRUMENTATIONS } from '../../instrumentations';
import { ConfigError } from '../config/errors';
import { readInstrumentationConfig } from '../../instrumentations/config';
import { ConfigSource } from '../config/source';
import { readTelemetryConfig, type TelemetryConfig } from '../config/telemetry-config';
import type { DestinationsConfig } from '../engine/core';
import { readDestinationsConfig } from '../engine/destinations-config';
import { HandoffSpanProcessor } from '../engine/handoff';
import { spawnReplayHelper } from '../engine/replay-helper';
import { startAutoSession } from '../../instrumentations/genai/auto-session';
import { registerEsmHook } from './esm-hook';
import { isLoaderHooksThread } from '../shared/loader-thread';
import { installExitHooks } from './exit-hooks';
import { readMetricsConfig, startSelfMetrics, type MetricsConfig } from './metrics';
import { sessionIdGenerator } from '../../instrumentations/agentops/id-generator';
import { finishedSpansAllowed } from '../../instrumentations/agentops/finished-span';
import { logger } from '../shared/logger';
import { stats } from '../shared/stats';

export interface TelemetryHandle {
  config: TelemetryConfig;
  source: ConfigSource;
  configErrors: ConfigError[];
  provider: NodeTracerProvider;
  destinations: DestinationsConfig;
  processor: HandoffSpanProcessor;
  instrumentations: Instrumentation[];
  endOpenSessions(reason: string): void;
  /** Delivers what was recorded so far (waits at most AGENTOPS_SHUTDOWN_TIMEOUT_MS). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /**
   * Blocks until every span is delivered or spooled, or `deadline` passes. `final` stops the
   * export engine, starts the replay helper when something is left in a spool, and logs the
   * shutdown summary.
   */
  drainSync(deadline: number, final: boolean): void;
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

  const selection = readInstrumentationConfig(
    source,
    INSTRUMENTATIONS.map((e) => e.name),
  );
  const destinations = readDestinationsConfig(config, source, errors, selection.config.prices);
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
  const processor = new HandoffSpanProcessor({ destinations, thread: config.exportThread, nice: config.exportThreadNice, timeoutMillis: config.shutdownTimeoutMillis });
  const meterProvider = metricsConfig === undefined ? undefined : startSelfMetrics(metricsConfig, resource, () => processor.health());
  const provider = new NodeTracerProvider({
    resource,
    idGenerator: sessionIdGenerator,
    spanProcessors: [processor],
  });
  registerProvider(provider);

  const selected = INSTRUMENTATIONS.filter((entry) => selection.config.enabled.includes(entry.name));
  const instrumentations = selected.flatMap((entry) =>
    entry.create({ serviceName: config.serviceName, captureContent: config.captureContent, maxAttributeLength: config.maxAttributeLength, prices: selection.config.prices, costInExport: true }),
  );
  warnAboutEarlyModules(selected.flatMap((entry) => entry.esmModules ?? []));
  registerInstrumentations({ tracerProvider: provider, meterProvider, instrumentations });
  registerEsmHook(selected.flatMap((entry) => entry.esmModules ?? []));
  startAutoSession(selection.config.autoSession);
  const agentops = instrumentations.find((i): i is AgentOpsInstrumentation => i instanceof AgentOpsInstrumentation);
  const directEvents = agentops !== undefined && finishedSpansAllowed(process.env);
  if (directEvents) agentops.setFinishedSpanSink(processor.finishedSpanSink);

  const endOpenSessions = (reason: string): void => {
    for (const session of agentops?.openSessions() ?? []) {
      try {
        void session.end('Indeterminate', reason);
      } catch (err) {
        logger.limited('warn', 'end-open-session', 'could not end an open session at exit', { error: err });
      }
    }
  };

  let stopped = false;
  const handle: TelemetryHandle = {
    config,
    source,
    configErrors: errors,
    provider,
    destinations,
    processor,
    instrumentations,
    endOpenSessions,
    forceFlush: async () => {
      await processor.forceFlush();
      // After the spans, so the exported counters it reports are final.
      await meterProvider?.forceFlush();
    },
    shutdown: async () => {
      await provider.shutdown();
      await meterProvider?.shutdown();
    },
    drainSync: (deadline, final) => {
      if (stopped) return;
      const report = processor.drainSync(deadline, final);
      if (!final) return;
      stopped = true;
      const helper = report.spoolHasWork && spawnReplayHelper(destinations);
      logger.info('shutdown summary', { ...stats.snapshot(), engine: processor.health(), replayHelper: helper });
    },
  };
  slot[GLOBAL_KEY] = handle;

  if (options.exitHooks !== false) {
    installExitHooks({ endOpen: endOpenSessions, drainSync: handle.drainSync, flushMetrics: () => meterProvider?.forceFlush() ?? Promise.resolve(), timeoutMillis: config.shutdownTimeoutMillis });
  }
  logger.debug('agentops-otel started', { serviceName: config.serviceName, exporters: Object.keys(destinations), exportThread: processor.mode, recordedEvents: directEvents ? 'direct' : 'sdk' });
  return handle;
}

/**
 * A package required before the preload ran cannot be patched any more. (OpenTelemetry's own
 * check looks for `globalThis.require`, which CommonJS modules do not have, so it stays silent.)
 */
function warnAboutEarlyModules(modules: ReadonlyArray<string | RegExp>): void {
  const loaded = Object.keys(require.cache);
  for (const name of modules) {
    if (typeof name !== 'string') continue;
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
