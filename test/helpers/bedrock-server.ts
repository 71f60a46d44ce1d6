/**
 * Loopback Amazon Bedrock Runtime for tests: answers `POST /model/{modelId}/converse`,
 * `/converse-stream`, `/invoke` and `/invoke-with-response-stream` on 127.0.0.1 in the service's
 * wire format (restJson1 bodies; streams in the binary AWS event-stream encoding, as
 * `application/vnd.amazon.eventstream`), so the real `@aws-sdk/client-bedrock-runtime` parses
 * them as it parses Bedrock's. No network.
 *
 * HTTP/2 in clear text: the client's default request handler speaks HTTP/2 only (Bedrock Runtime
 * has bidirectional streams), and to an `http://` endpoint with prior knowledge.
 *
 * InvokeModel bodies follow the model family named by the model id: `anthropic.` (Messages API),
 * `amazon.nova` (messages-v1), `meta.llama` (prompt/generation), anything else the Mistral
 * text shape (`outputs`), whose tokens are only in `amazon-bedrock-invocationMetrics`.
 *
 * Scripted from the model id, so a child process needs no back channel:
 * `error-429` answers 429 ThrottlingException, `error-400` 400 ValidationException; in a stream,
 * `stream-cut` sends two events and then destroys the connection, `stream-exception` sends two
 * events and then a `modelStreamErrorException`; `many` makes a stream of 20 text deltas.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface BedrockRequestRecord {
  path: string;
  modelId: string;
  action: string;
  headers: http2.IncomingHttpHeaders;
  body: Obj;
}

export interface BedrockServer {
  /** `http://127.0.0.1:PORT`: the client's `endpoint`. */
  url: string;
  port: number;
  requests: BedrockRequestRecord[];
  close(): Promise<void>;
}

export const TEXT_PIECES = ['Hello', ' from', ' the', ' loopback', ' model', '.'];
export const REQUEST_ID = 'bdrk-req-0001';
/** Converse usage: `inputTokens` excludes the cache reads and writes, as Bedrock reports it. */
export const CONVERSE_USAGE = { inputTokens: 10, outputTokens: 8, totalTokens: 26, cacheReadInputTokens: 6, cacheWriteInputTokens: 2 };
export const ANTHROPIC_USAGE = { input_tokens: 11, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9 };
export const NOVA_USAGE = { inputTokens: 14, outputTokens: 6, totalTokens: 20 };
export const LLAMA_COUNTS = { prompt_token_count: 16, generation_token_count: 7 };
/** What the last chunk of every InvokeModel stream carries. */
export const INVOCATION_METRICS = { inputTokenCount: 21, outputTokenCount: 13, invocationLatency: 250, firstByteLatency: 90 };

const utf8 = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

function pieces(modelId: string): string[] {
  const n = modelId.includes('many') ? 20 : 4;
  return Array.from({ length: n }, (_x, i) => TEXT_PIECES[i % TEXT_PIECES.length]);
}

/** The model a Bedrock Anthropic response names: the id without its provider, region prefix and version. */
export function anthropicResponseModel(modelId: string): string {
  return modelId.replace(/^(?:[a-z-]+\.)?anthropic\./, '').replace(/-v\d+(?::\d+)?$/, '');
}

function family(modelId: string): 'anthropic' | 'nova' | 'llama' | 'other' {
  if (/(?:^|\.)anthropic\./.test(modelId)) return 'anthropic';
  if (/(?:^|\.)amazon\.nova/.test(modelId)) return 'nova';
  if (/(?:^|\.)meta\.llama/.test(modelId)) return 'llama';
  return 'other';
}

function json(res: http2.Http2ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': REQUEST_ID, ...headers });
  res.end(text);
}

/** A service error as Bedrock sends it: the error code in `x-amzn-errortype`, the message in the body. */
function scriptedError(res: http2.Http2ServerResponse, modelId: string): boolean {
  if (modelId.includes('error-429')) {
    json(res, 429, { message: 'Too many requests, please wait before trying again.' }, { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' });
    return true;
  }
  if (modelId.includes('error-400')) {
    json(res, 400, { message: 'The provided model identifier is invalid.' }, { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' });
    return true;
  }
  return false;
}

type MessageHeaders = Parameters<EventStreamCodec['encode']>[0]['headers'];

function stringHeaders(h: Record<string, string>): MessageHeaders {
  const out: MessageHeaders = {};
  for (const [k, v] of Object.entries(h)) out[k] = { type: 'string', value: v };
  return out;
}

function eventFrame(type: string, payload: unknown): Uint8Array {
  return utf8.encode({
    headers: stringHeaders({ ':event-type': type, ':message-type': 'event', ':content-type': 'application/json' }),
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}

function exceptionFrame(type: string, payload: unknown): Uint8Array {
  return utf8.encode({
    headers: stringHeaders({ ':exception-type': type, ':message-type': 'exception', ':content-type': 'application/json' }),
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}

/** InvokeModel stream events: `chunk` whose `bytes` is the model's JSON event, base64-encoded. */
function chunkFrame(payload: unknown): Uint8Array {
  return eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(payload), 'utf8').toString('base64') });
}

function eventStream(res: http2.Http2ServerResponse, modelId: string, frames: Uint8Array[], headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': REQUEST_ID, ...headers });
  if (modelId.includes('stream-cut')) {
    res.write(Buffer.concat(frames.slice(0, 2)));
    // Half a frame, then the connection goes: the client sees a truncated stream.
    const third = frames[2];
    const session = res.stream.session;
    res.write(third.subarray(0, Math.floor(third.length / 2)), () => setTimeout(() => session?.destroy(), 20));
    return;
  }
  if (modelId.includes('stream-exception')) {
    res.end(Buffer.concat([...frames.slice(0, 2), exceptionFrame('modelStreamErrorException', { message: 'The model stream failed.', originalStatusCode: 500, originalMessage: 'upstream' })]));
    return;
  }
  // One write per frame, so the client reads them as they come.
  let i = 0;
  const next = (): void => {
    if (i === frames.length) {
      res.end();
      return;
    }
    res.write(frames[i++], next);
  };
  next();
}

function converse(res: http2.Http2ServerResponse, modelId: string): void {
  const text = pieces(modelId).join('');
  json(res, 200, {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: 'end_turn',
    usage: CONVERSE_USAGE,
    metrics: { latencyMs: 120 },
  });
}

function converseStream(res: http2.Http2ServerResponse, modelId: string): void {
  const frames = [
    eventFrame('messageStart', { role: 'assistant' }),
    ...pieces(modelId).map((p) => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: p } })),
    eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
    eventFrame('messageStop', { stopReason: 'end_turn' }),
    eventFrame('metadata', { usage: CONVERSE_USAGE, metrics: { latencyMs: 130 } }),
  ];
  eventStream(res, modelId, frames);
}

function invokeBody(modelId: string): Obj {
  const text = pieces(modelId).join('');
  switch (family(modelId)) {
    case 'anthropic':
      return {
        id: 'msg_bdrk_01',
        type: 'message',
        role: 'assistant',
        model: anthropicResponseModel(modelId),
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: ANTHROPIC_USAGE,
      };
    case 'nova':
      return { output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: NOVA_USAGE };
    case 'llama':
      return { generation: text, ...LLAMA_COUNTS, stop_reason: 'stop' };
    default:
      return { outputs: [{ text, stop_reason: 'stop' }] };
  }
}

function invokeChunks(modelId: string): Obj[] {
  const ps = pieces(modelId);
  const metrics = { 'amazon-bedrock-invocationMetrics': INVOCATION_METRICS };
  switch (family(modelId)) {
    case 'anthropic':
      return [
        {
          type: 'message_start',
          message: {
            id: 'msg_bdrk_02',
            type: 'message',
            role: 'assistant',
            model: anthropicResponseModel(modelId),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...ANTHROPIC_USAGE, output_tokens: 1 },
          },
        },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ...ps.map((p) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } })),
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: ANTHROPIC_USAGE.output_tokens } },
        { type: 'message_stop', ...metrics },
      ];
    case 'nova':
      return [
        { messageStart: { role: 'assistant' } },
        ...ps.map((p) => ({ contentBlockDelta: { delta: { text: p }, contentBlockIndex: 0 } })),
        { contentBlockStop: { contentBlockIndex: 0 } },
        { messageStop: { stopReason: 'end_turn' } },
        { metadata: { usage: NOVA_USAGE, metrics: {}, trace: {} }, ...metrics },
      ];
    case 'llama':
      return [
        ...ps.map((p, i) => ({ generation: p, prompt_token_count: i === 0 ? LLAMA_COUNTS.prompt_token_count : null, generation_token_count: i + 1, stop_reason: null })),
        { generation: '', prompt_token_count: null, generation_token_count: LLAMA_COUNTS.generation_token_count, stop_reason: 'stop', ...metrics },
      ];
    default:
      return [...ps.map((p) => ({ outputs: [{ text: p, stop_reason: null }] })), { outputs: [{ text: '', stop_reason: 'stop' }], ...metrics }];
  }
}

function invoke(res: http2.Http2ServerResponse, modelId: string): void {
  const text = JSON.stringify(invokeBody(modelId));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': REQUEST_ID,
    'x-amzn-bedrock-invocation-latency': '250',
    'x-amzn-bedrock-input-token-count': String(INVOCATION_METRICS.inputTokenCount),
    'x-amzn-bedrock-output-token-count': String(INVOCATION_METRICS.outputTokenCount),
  });
  res.end(text);
}

function invokeStream(res: http2.Http2ServerResponse, modelId: string): void {
  eventStream(res, modelId, invokeChunks(modelId).map(chunkFrame), { 'x-amzn-bedrock-content-type': 'application/json' });
}

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

export async function startBedrockServer(): Promise<BedrockServer> {
  const requests: BedrockRequestRecord[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const m = ROUTE.exec(path);
      if (req.method !== 'POST' || m === null) {
        json(res, 404, { message: `no route ${req.method} ${path}` }, { 'x-amzn-errortype': 'UnknownOperationException' });
        return;
      }
      let body: Obj;
      try {
        body = parts.length > 0 ? (JSON.parse(Buffer.concat(parts).toString('utf8')) as Obj) : {};
      } catch {
        json(res, 400, { message: 'Malformed input request' }, { 'x-amzn-errortype': 'ValidationException' });
        return;
      }
      const modelId = decodeURIComponent(m[1]);
      const action = m[2];
      requests.push({ path, modelId, action, headers: req.headers, body });
      if (scriptedError(res, modelId)) return;
      if (action === 'converse') converse(res, modelId);
      else if (action === 'converse-stream') converseStream(res, modelId);
      else if (action === 'invoke') invoke(res, modelId);
      else invokeStream(res, modelId);
    });
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs a server in this process until killed, printing its URL: `node dist/test/helpers/bedrock-server.js`. */
if (require.main === module) {
  void startBedrockServer().then((s) => console.log(s.url));
}
