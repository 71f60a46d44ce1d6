/**
 * Loopback OTLP/HTTP metrics receiver for tests: decodes the real wire format of the
 * OpenTelemetry JS metric exporters, protobuf (`opentelemetry.proto.collector.metrics.v1.
 * ExportMetricsServiceRequest`, decoded by hand with the trace receiver's reader) and OTLP/JSON,
 * into one normalised model. Sums, gauges and histograms (the instruments we use); other data
 * kinds are kept by name with no points.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import {
  decodeKeyValueProto,
  decodeResourceProto,
  decodeScopeProto,
  expectWt,
  OtlpDecodeError,
  readMessage,
  WT_I64,
  WT_LEN,
  type OtlpAttributes,
  type OtlpValue,
  type ProtoReader,
  type ReceivedScope,
} from './otlp-receiver';

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

// --- protobuf --------------------------------------------------------------------------------

function fixed64Number(r: ProtoReader): number {
  return Number(r.fixed64());
}

/** A repeated fixed64 / double field: packed (LEN) or one value per tag (I64). */
function repeated8(wt: number, r: ProtoReader, read: (rr: ProtoReader) => number, into: number[]): void {
  if (wt === WT_I64) {
    into.push(read(r));
    return;
  }
  expectWt('packed repeated', 0, wt, WT_LEN);
  const bytes = r.bytes();
  readPacked(bytes, read, into);
}

function readPacked(bytes: Uint8Array, read: (rr: ProtoReader) => number, into: number[]): void {
  if (bytes.length % 8 !== 0) throw new OtlpDecodeError(`packed 8-byte field of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isDouble = read === readDouble;
  for (let i = 0; i < bytes.length; i += 8) into.push(isDouble ? view.getFloat64(i, true) : Number(view.getBigUint64(i, true)));
}

const readDouble = (r: ProtoReader): number => r.double();

function decodeNumberPoint(bytes: Uint8Array): ReceivedPoint {
  const p: ReceivedPoint = { attributes: {} };
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 7:
        expectWt('NumberDataPoint', field, wt, WT_LEN);
        decodeKeyValueProto(r.bytes(), p.attributes);
        return true;
      case 4:
        expectWt('NumberDataPoint', field, wt, WT_I64);
        p.value = r.double();
        return true;
      case 6:
        expectWt('NumberDataPoint', field, wt, WT_I64);
        p.value = Number(BigInt.asIntN(64, r.fixed64()));
        return true;
      default:
        return false;
    }
  });
  return p;
}

function decodeHistogramPoint(bytes: Uint8Array): ReceivedPoint {
  const p: ReceivedPoint = { attributes: {}, bucketCounts: [], explicitBounds: [] };
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 9:
        expectWt('HistogramDataPoint', field, wt, WT_LEN);
        decodeKeyValueProto(r.bytes(), p.attributes);
        return true;
      case 4:
        expectWt('HistogramDataPoint', field, wt, WT_I64);
        p.count = fixed64Number(r);
        return true;
      case 5:
        expectWt('HistogramDataPoint', field, wt, WT_I64);
        p.sum = r.double();
        return true;
      case 6:
        repeated8(wt, r, fixed64Number, p.bucketCounts!);
        return true;
      case 7:
        repeated8(wt, r, readDouble, p.explicitBounds!);
        return true;
      default:
        return false;
    }
  });
  return p;
}

/** Gauge (5), Sum (7), Histogram (9): `data_points` is field 1 in each. */
function decodePoints(bytes: Uint8Array, histogram: boolean): ReceivedPoint[] {
  const points: ReceivedPoint[] = [];
  readMessage(bytes, (field, wt, r) => {
    if (field !== 1) return false;
    expectWt('data', field, wt, WT_LEN);
    points.push(histogram ? decodeHistogramPoint(r.bytes()) : decodeNumberPoint(r.bytes()));
    return true;
  });
  return points;
}

function decodeMetricProto(bytes: Uint8Array, scope: ReceivedScope, resource: OtlpAttributes): ReceivedMetric {
  const m: ReceivedMetric = { name: '', description: '', unit: '', kind: 'other', scope, resource, points: [] };
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 1:
      case 2:
      case 3: {
        expectWt('Metric', field, wt, WT_LEN);
        const s = r.string();
        if (field === 1) m.name = s;
        else if (field === 2) m.description = s;
        else m.unit = s;
        return true;
      }
      case 5:
      case 7:
      case 9:
        expectWt('Metric', field, wt, WT_LEN);
        m.kind = field === 5 ? 'gauge' : field === 7 ? 'sum' : 'histogram';
        m.points = decodePoints(r.bytes(), field === 9);
        return true;
      default:
        return false;
    }
  });
  return m;
}

export function decodeMetricsProtobuf(body: Uint8Array): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  readMessage(body, (field, wt, r) => {
    if (field !== 1) return false;
    expectWt('ExportMetricsServiceRequest', field, wt, WT_LEN);
    let resource: OtlpAttributes = {};
    const scopes: Uint8Array[] = [];
    readMessage(r.bytes(), (f, w, rr) => {
      if (f === 1) {
        expectWt('ResourceMetrics', f, w, WT_LEN);
        resource = decodeResourceProto(rr.bytes());
        return true;
      }
      if (f === 2) {
        expectWt('ResourceMetrics', f, w, WT_LEN);
        scopes.push(rr.bytes());
        return true;
      }
      return false;
    });
    for (const sm of scopes) {
      let scope: ReceivedScope = { name: '', attributes: {} };
      const metrics: Uint8Array[] = [];
      readMessage(sm, (f, w, rr) => {
        if (f === 1) {
          expectWt('ScopeMetrics', f, w, WT_LEN);
          scope = decodeScopeProto(rr.bytes());
          return true;
        }
        if (f === 2) {
          expectWt('ScopeMetrics', f, w, WT_LEN);
          metrics.push(rr.bytes());
          return true;
        }
        return false;
      });
      for (const m of metrics) out.push(decodeMetricProto(m, scope, resource));
    }
    return true;
  });
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
        out.push({ name: String(m.name), description: String(m.description ?? ''), unit: String(m.unit ?? ''), kind, scope, resource, points: ((data?.dataPoints ?? []) as J[]).map((p) => jsonPoint(p, kind === 'histogram')) });
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

