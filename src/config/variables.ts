/**
 * Every environment variable the preload reads, with its default and meaning. The README table
 * and `doctor` are generated from this list, so it is the one place to add a variable.
 */
import { DEFAULT_CAPTURE_CONTENT, DEFAULT_MAX_ATTRIBUTE_LENGTH, DEFAULT_QUEUE_SPANS, DEFAULT_SERVICE_NAME } from './defaults';

export interface VariableDoc {
  variable: string;
  default: string;
  meaning: string;
  /** Its value is masked wherever it is shown. */
  secret?: boolean;
}

export const CORE_VARIABLES: VariableDoc[] = [
  { variable: 'AGENTOPS_CONFIG', default: '(none)', meaning: 'Path of a JSON file of these variables; the environment wins over it.' },
  { variable: 'AGENTOPS_EXPORTERS', default: 'jaeger,postgres', meaning: 'Which exporters run: a list of jaeger, postgres; or none.' },
  { variable: 'AGENTOPS_DISABLED', default: 'false', meaning: 'true turns the preload off entirely (as OTEL_SDK_DISABLED does).' },
  { variable: 'AGENTOPS_LOG_LEVEL', default: 'info', meaning: 'Own log level: debug, info, warn, error, silent. Falls back to OTEL_LOG_LEVEL.' },
  { variable: 'AGENTOPS_SERVICE_NAME', default: DEFAULT_SERVICE_NAME, meaning: 'Service name when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES do not set one.' },
  { variable: 'AGENTOPS_CAPTURE_CONTENT', default: String(DEFAULT_CAPTURE_CONTENT), meaning: 'Record prompts, completions, params and returns; false keeps all content out of every exporter.' },
  {
    variable: 'AGENTOPS_MAX_ATTRIBUTE_LENGTH',
    default: String(DEFAULT_MAX_ATTRIBUTE_LENGTH),
    meaning: 'Longest text attribute (characters) before truncation; also OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.',
  },
  { variable: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', default: String(DEFAULT_CAPTURE_CONTENT), meaning: 'Same as AGENTOPS_CAPTURE_CONTENT, when that is unset.' },
  {
    variable: 'AGENTOPS_INSTRUMENTATIONS_ENABLED',
    default: 'all',
    meaning:
      'Instrumentations to load: a list of agentops, openai, anthropic, openai-agents, google-genai, aws-bedrock, mcp, ai-sdk, langchain (or all, none). Falls back to OTEL_NODE_ENABLED_INSTRUMENTATIONS.',
  },
  { variable: 'AGENTOPS_INSTRUMENTATIONS_DISABLED', default: '(none)', meaning: 'Instrumentations not to load; wins over the enabled list. Falls back to OTEL_NODE_DISABLED_INSTRUMENTATIONS.' },
  { variable: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', default: '(unset)', meaning: 'As AGENTOPS_INSTRUMENTATIONS_ENABLED, when that is unset.' },
  { variable: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', default: '(unset)', meaning: 'As AGENTOPS_INSTRUMENTATIONS_DISABLED, when that is unset.' },
  {
    variable: 'AGENTOPS_AUTO_SESSION',
    default: 'off',
    meaning: 'LLM calls outside any session: off = each is its own trace; process = one session opened at start-up collects them and is ended at exit.',
  },
  {
    variable: 'AGENTOPS_PRICE_TABLE',
    default: '(none)',
    meaning:
      'LLM prices behind agentops.usage.cost_usd that win over the built-in ones (@pydantic/genai-prices): a JSON file path or inline JSON {"model": {"input": n, "output": n, "cacheRead": n, "cacheWrite": n}}, USD per 1M tokens; null takes a model\'s price away.',
  },
  {
    variable: 'AGENTOPS_SHUTDOWN_TIMEOUT_MS',
    default: '5000',
    meaning: 'Time allowed to deliver at a natural exit or on SIGTERM/SIGINT before the rest is spooled and the process goes on exiting (at process.exit() or a crash: at most 2000).',
  },
  {
    variable: 'AGENTOPS_EXPORT_THREAD',
    default: 'worker',
    meaning: "Where exporting runs: worker (a worker thread; the app's thread only hands spans over) or inline (the app's thread, as a fallback).",
  },
  {
    variable: 'AGENTOPS_EXPORT_THREAD_NICE',
    default: '10',
    meaning:
      "How far below the app's thread the export thread and the replay helper run (nice increment, 0-19; 0 = the same priority), so that when cores are short the app runs first. Linux only; ignored elsewhere.",
  },
  { variable: 'OTEL_SDK_DISABLED', default: 'false', meaning: 'true turns the preload off.' },
  { variable: 'OTEL_SERVICE_NAME', default: '(unset)', meaning: 'service.name on the Resource and on every span.' },
  { variable: 'OTEL_RESOURCE_ATTRIBUTES', default: '(unset)', meaning: 'Extra Resource attributes, k=v,k2=v2.' },
  { variable: 'OTEL_LOG_LEVEL', default: 'info', meaning: 'Log level when AGENTOPS_LOG_LEVEL is unset (none, error, warn, info, debug, verbose, all).' },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: 'http://localhost:4318/v1/traces', meaning: 'Jaeger OTLP/HTTP traces URL, used as given.' },
  { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', meaning: 'Base URL; /v1/traces is appended.' },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', default: '(none)', meaning: 'Headers for the traces endpoint, k=v,k2=v2 (values are secret).', secret: true },
  { variable: 'OTEL_EXPORTER_OTLP_HEADERS', default: '(none)', meaning: 'Headers for every OTLP endpoint (values are secret).', secret: true },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', default: 'http/protobuf', meaning: 'http/protobuf (Jaeger native) or http/json. Falls back to OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', default: '10000', meaning: 'Request timeout in ms. Falls back to OTEL_EXPORTER_OTLP_TIMEOUT.' },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', default: 'none', meaning: 'gzip or none. Falls back to OTEL_EXPORTER_OTLP_COMPRESSION.' },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', default: '(system CAs)', meaning: 'PEM file of the CA(s) to trust for an https endpoint. Falls back to OTEL_EXPORTER_OTLP_CERTIFICATE.' },
  {
    variable: 'OTEL_METRICS_EXPORTER',
    default: 'none',
    meaning: "otlp exports metrics over OTLP/HTTP: the GenAI client metrics (gen_ai.client.token.usage, gen_ai.client.operation.duration) and the library's own (meter agentops-otel).",
  },
  { variable: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', default: 'http/protobuf', meaning: 'http/protobuf or http/json for metrics. Falls back to OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { variable: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', default: 'http://localhost:4318/v1/metrics', meaning: 'Where metrics go; OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics when unset.' },
  { variable: 'OTEL_METRIC_EXPORT_INTERVAL', default: '60000', meaning: 'Milliseconds between metric exports (and a last one at exit).' },
  { variable: 'OTEL_BSP_SCHEDULE_DELAY', default: '5000', meaning: 'OTLP: longest time a span waits for a full batch (a full batch is sent at once).' },
  { variable: 'OTEL_BSP_EXPORT_TIMEOUT', default: '30000', meaning: 'OTLP: upper bound of one request, with OTEL_EXPORTER_OTLP_TRACES_TIMEOUT.' },
  {
    variable: 'OTEL_BSP_MAX_QUEUE_SIZE',
    default: String(DEFAULT_QUEUE_SPANS),
    meaning: "OTLP: spans held in memory (OpenTelemetry's default is 2048, but nothing is dropped here): beyond it the oldest go to the OTLP spool.",
  },
  { variable: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: '512', meaning: 'OTLP: spans per request (and per spool file).' },
];
