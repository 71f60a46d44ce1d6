/**
 * Every environment variable the preload reads, with its default and meaning. The README table
 * and `doctor` are generated from this list, so it is the one place to add a variable.
 */
export interface VariableDoc {
  name: string;
  default: string;
  description: string;
  secret?: boolean;
}

export const CORE_VARIABLES: VariableDoc[] = [
  { name: 'AGENTOPS_CONFIG', default: '(none)', description: 'Path of a JSON file of these variables; the environment wins over it.' },
  { name: 'AGENTOPS_EXPORTERS', default: 'jaeger,postgres', description: 'Which exporters run: a list of jaeger, postgres; or none.' },
  { name: 'AGENTOPS_DISABLED', default: 'false', description: 'true turns the preload off entirely (as OTEL_SDK_DISABLED does).' },
  { name: 'AGENTOPS_LOG_LEVEL', default: 'info', description: 'Own log level: debug, info, warn, error, silent. Falls back to OTEL_LOG_LEVEL.' },
  { name: 'AGENTOPS_SERVICE_NAME', default: 'agentops', description: 'Service name when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES do not set one.' },
  { name: 'AGENTOPS_CAPTURE_CONTENT', default: 'true', description: 'Record prompts, completions, params and returns; false keeps all content out of every exporter.' },
  { name: 'AGENTOPS_MAX_ATTRIBUTE_LENGTH', default: '16384', description: 'Longest text attribute (characters) before truncation; also OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.' },
  { name: 'AGENTOPS_SHUTDOWN_TIMEOUT_MS', default: '5000', description: 'Time allowed to flush at exit or on SIGTERM/SIGINT before the process goes on exiting.' },
  { name: 'OTEL_SDK_DISABLED', default: 'false', description: 'true turns the preload off.' },
  { name: 'OTEL_SERVICE_NAME', default: '(unset)', description: 'service.name on the Resource and on every span.' },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', default: '(unset)', description: 'Extra Resource attributes, k=v,k2=v2.' },
  { name: 'OTEL_LOG_LEVEL', default: 'info', description: 'Log level when AGENTOPS_LOG_LEVEL is unset (none, error, warn, info, debug, verbose, all).' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: 'http://localhost:4318/v1/traces', description: 'Jaeger OTLP/HTTP traces URL, used as given.' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', description: 'Base URL; /v1/traces is appended.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', default: '(none)', description: 'Headers for the traces endpoint, k=v,k2=v2 (values are secret).', secret: true },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', default: '(none)', description: 'Headers for every OTLP endpoint (values are secret).', secret: true },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', default: 'http/protobuf', description: 'http/protobuf (Jaeger native) or http/json. Falls back to OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', default: '10000', description: 'Request timeout in ms. Falls back to OTEL_EXPORTER_OTLP_TIMEOUT.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', default: 'none', description: 'gzip or none. Falls back to OTEL_EXPORTER_OTLP_COMPRESSION.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', default: '(system CAs)', description: 'PEM file of the CA(s) to trust for an https endpoint. Falls back to OTEL_EXPORTER_OTLP_CERTIFICATE.' },
  { name: 'OTEL_BSP_SCHEDULE_DELAY', default: '5000', description: 'Batch span processor: ms between exports.' },
  { name: 'OTEL_BSP_EXPORT_TIMEOUT', default: '30000', description: 'Batch span processor: ms one export may take.' },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', default: '2048', description: 'Batch span processor: spans queued per exporter; beyond it spans are dropped and counted.' },
  { name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: '512', description: 'Batch span processor: spans per export.' },
];
