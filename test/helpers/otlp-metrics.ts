/**
 * Loopback OTLP/HTTP metrics receiver for tests: decodes the real wire format of the
 * OpenTelemetry JS metric exporters, protobuf (`opentelemetry.proto.collector.metrics.v1.
 * ExportMetricsServiceRequest`, decoded with the vendored opentelemetry-proto definitions) and OTLP/JSON,
 * into one normalised model. Sums, gauges and histograms (the instruments we use); other data
 * kinds are kept by name with no points.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { attributes, int64, otlpType, OtlpDecodeError, type Int64, type OtlpAttributes, type OtlpValue, type PbKeyValue, type ReceivedScope } from './otlp-decode';

export interface ReceivedPoint {
  attributes: OtlpAttributes;
  /** Sum / gauge value. */
  value?: number;
  /** Histogram fields. */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  scope: ReceivedScope;
  resource: OtlpAttributes;
  points: ReceivedPoint[];
}

// --- protobuf (the official definitions, through protobufjs) ------------------------------------

interface PbPoint {
  attributes?: PbKeyValue[];
  /** Which member of the NumberDataPoint `value` oneof is set. */
  value?: string;
  asDouble?: number;
  asInt?: Int64;
  count?: Int64;
  sum?: number;
  bucketCounts?: Int64[];
  explicitBounds?: number[];
}
interface PbMetric {
  name?: string;
  description?: string;
  unit?: string;
  /** Which member of the `data` oneof is set. */
  data?: string;
  gauge?: { dataPoints?: PbPoint[] };
  sum?: { dataPoints?: PbPoint[] };
  histogram?: { dataPoints?: PbPoint[] };
}
interface PbMetricsRequest {
  resourceMetrics?: Array<{
    resource?: { attributes?: PbKeyValue[] } | null;
    scopeMetrics?: Array<{ scope?: { name?: string; version?: string; attributes?: PbKeyValue[] } | null; metrics?: PbMetric[] }>;
  }>;
}

function pointOf(p: PbPoint, histogram: boolean): ReceivedPoint {
  const point: ReceivedPoint = { attributes: attributes(p.attributes) };
  if (histogram) {
    point.count = Number(int64(p.count));
    if (p.sum !== undefined) point.sum = p.sum;
    point.bucketCounts = (p.bucketCounts ?? []).map((c) => Number(int64(c)));
    point.explicitBounds = [...(p.explicitBounds ?? [])];
  } else point.value = p.value === 'asInt' ? Number(BigInt.asIntN(64, int64(p.asInt))) : (p.asDouble ?? 0);
  return point;
}

export function decodeMetricsProtobuf(body: Uint8Array): ReceivedMetric[] {
  const type = otlpType('opentelemetry/proto/collector/metrics/v1/metrics_service.proto', 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
  let request: PbMetricsRequest;
  try {
    request = type.decode(body) as unknown as PbMetricsRequest;
  } catch (err) {
    throw new OtlpDecodeError(`not an ExportMetricsServiceRequest: ${(err as Error).message}`);
  }
  const out: ReceivedMetric[] = [];
  for (const rm of request.resourceMetrics ?? []) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      const scope: ReceivedScope = { name: sm.scope?.name ?? '', ...(sm.scope?.version ? { version: sm.scope.version } : {}), attributes: attributes(sm.scope?.attributes) };
      for (const m of sm.metrics ?? []) {
        const kind = m.data === 'histogram' || m.data === 'sum' || m.data === 'gauge' ? m.data : 'other';
        const points = kind === 'other' ? [] : (m[kind]?.dataPoints ?? []).map((p) => pointOf(p, kind === 'histogram'));
        out.push({ name: m.name ?? '', description: m.description ?? '', unit: m.unit ?? '', kind, scope, resource, points });
      }
    }
  }
  return out;
}

// --- OTLP/JSON -------------------------------------------------------------------------------

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function jsonValue(v: J | undefined): OtlpValue {
  if (v === undefined || v === null) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return BigInt(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue?.values ?? []) as J[]).map(jsonValue);
  return null;
}

function jsonAttributes(list: J[] | undefined): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const kv of list ?? []) out[String(kv.key)] = jsonValue(kv.value);
  return out;
}

function jsonPoint(p: J, histogram: boolean): ReceivedPoint {
  const point: ReceivedPoint = { attributes: jsonAttributes(p.attributes) };
  if (histogram) {
    point.count = Number(p.count);
    if (p.sum !== undefined) point.sum = Number(p.sum);
    point.bucketCounts = ((p.bucketCounts ?? []) as unknown[]).map(Number);
    point.explicitBounds = ((p.explicitBounds ?? []) as unknown[]).map(Number);
  } else point.value = Number(p.asInt ?? p.asDouble);
  return point;
}

export function decodeMetricsJson(body: string): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  const parsed = JSON.parse(body) as J;
  for (const rm of (parsed.resourceMetrics ?? []) as J[]) {
    const resource = jsonAttributes(rm.resource?.attributes);
    for (const sm of (rm.scopeMetrics ?? []) as J[]) {
      const scope: ReceivedScope = { name: String(sm.scope?.name ?? ''), ...(sm.scope?.version ? { version: String(sm.scope.version) } : {}), attributes: jsonAttributes(sm.scope?.attributes) };
      for (const m of (sm.metrics ?? []) as J[]) {
        const kind = m.histogram ? 'histogram' : m.sum ? 'sum' : m.gauge ? 'gauge' : 'other';
        const data = (m.histogram ?? m.sum ?? m.gauge) as J | undefined;
        out.push({
          name: String(m.name),
          description: String(m.description ?? ''),
          unit: String(m.unit ?? ''),
          kind,
          scope,
          resource,
          points: ((data?.dataPoints ?? []) as J[]).map((p) => jsonPoint(p, kind === 'histogram')),
        });
      }
    }
  }
  return out;
}

// --- the receiver ----------------------------------------------------------------------------

export interface MetricsRequest {
  contentType: string;
  metrics: ReceivedMetric[];
}

export interface MetricsReceiver {
  url: string;
  requests: MetricsRequest[];
  /** Every decoded metric of every request, in arrival order. */
  readonly metrics: ReceivedMetric[];
  close(): Promise<void>;
}

export async function startMetricsReceiver(): Promise<MetricsReceiver> {
  const requests: MetricsRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const encoding = String(req.headers['content-encoding'] ?? '');
      if (encoding === 'gzip') body = zlib.gunzipSync(body);
      const contentType = String(req.headers['content-type'] ?? '');
      try {
        if (req.url !== '/v1/metrics') throw new OtlpDecodeError(`unexpected path ${req.url}`);
        const metrics = contentType.includes('json') ? decodeMetricsJson(body.toString('utf8')) : decodeMetricsProtobuf(new Uint8Array(body));
        requests.push({ contentType, metrics });
        res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' }).end(contentType.includes('json') ? '{}' : '');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    requests,
    get metrics() {
      return requests.flatMap((r) => r.metrics);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
