/**
 * The Gemini REST wire format, for the loopback LLM server (llm-server.ts): what @google/genai
 * sends to the Gemini Developer API (`/v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:batchEmbedContents`) and to Vertex AI in express mode
 * (`/v1beta1/publishers/google/models/{model}:…`, embeddings by `:predict`), answered with the
 * real response shapes. Responses carry no `Date` header, so that what an app prints of them
 * (`sdkHttpResponse.headers` included) is the same from one run to the next.
 *
 * Scripting, from the model name in the path: `error-429` answers 429 RESOURCE_EXHAUSTED,
 * `error-400` answers 400 INVALID_ARGUMENT, `cut` streams two chunks and then drops the connection.
 * The `x-test-chunks` request header sets how many text chunks a stream has (default 4).
 */
import type * as http from 'node:http';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const GEMINI_TEXT_PIECES = ['Hello', ' from', ' the', ' loopback', ' gemini', '.'];
/** Full usage of every answer: 11 prompt tokens (4 of them cached), 6 candidate and 5 thinking tokens. */
export const GEMINI_USAGE = {
  promptTokenCount: 11,
  candidatesTokenCount: 6,
  thoughtsTokenCount: 5,
  cachedContentTokenCount: 4,
  totalTokenCount: 22,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 11 }],
  cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }],
};
export const GEMINI_RESPONSE_ID = 'gemini-resp-7Qk2';
export const GEMINI_EMBEDDING_DIMS = 8;
/** Vertex AI `:predict` reports this many tokens per embedded text. */
export const VERTEX_EMBEDDING_TOKENS = 5;

const ROUTE = /\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents|predict)$/;

/** The model version a response names: a versioned one for the model the tests use most. */
export function geminiModelVersion(model: string): string {
  return model === 'gemini-2.5-flash' ? 'gemini-2.5-flash-002' : model;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.sendDate = false;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function scriptedError(res: http.ServerResponse, model: string): boolean {
  if (model.includes('error-429')) {
    send(res, 429, { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } });
    return true;
  }
  if (model.includes('error-400')) {
    send(res, 400, { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
    return true;
  }
  return false;
}

function piecesOf(chunks: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < chunks; i++) out.push(GEMINI_TEXT_PIECES[i % GEMINI_TEXT_PIECES.length]);
  return out;
}

function response(model: string, text: string, finishReason: string | undefined, usage: Obj): Obj {
  const candidate: Obj = { content: { parts: [{ text }], role: 'model' }, index: 0 };
  if (finishReason !== undefined) candidate.finishReason = finishReason;
  return { candidates: [candidate], usageMetadata: usage, modelVersion: geminiModelVersion(model), responseId: GEMINI_RESPONSE_ID };
}

function generate(res: http.ServerResponse, model: string, chunks: number): void {
  send(res, 200, response(model, piecesOf(chunks).join(''), 'STOP', GEMINI_USAGE));
}

/** As the Gemini API streams: running usage (prompt only) on each chunk, the full usage and the finish reason on the last. */
function stream(res: http.ServerResponse, model: string, chunks: number): void {
  res.sendDate = false;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const partial = { promptTokenCount: GEMINI_USAGE.promptTokenCount, totalTokenCount: GEMINI_USAGE.promptTokenCount, promptTokensDetails: GEMINI_USAGE.promptTokensDetails };
  const pieces = piecesOf(chunks);
  const events = pieces.map((p, i) => (i === pieces.length - 1 ? response(model, p, 'STOP', GEMINI_USAGE) : response(model, p, undefined, partial)));
  const frame = (e: Obj): string => `data: ${JSON.stringify(e)}\r\n\r\n`;
  if (model.includes('cut')) {
    res.write(frame(events[0]) + frame(events[1]));
    // Dropped once the two chunks are on the wire: the client sees a body that ends mid-stream.
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  res.end(events.map(frame).join(''));
}

function vector(index: number): number[] {
  return Array.from({ length: GEMINI_EMBEDDING_DIMS }, (_x, i) => Math.round((index + 1) * (i + 1)) / 100);
}

function batchEmbed(res: http.ServerResponse, body: Obj): void {
  const requests: unknown[] = Array.isArray(body.requests) ? body.requests : [];
  send(res, 200, { embeddings: requests.map((_r, i) => ({ values: vector(i) })) });
}

function predict(res: http.ServerResponse, body: Obj): void {
  const instances: unknown[] = Array.isArray(body.instances) ? body.instances : [];
  send(res, 200, { predictions: instances.map((_x, i) => ({ embeddings: { values: vector(i), statistics: { token_count: VERTEX_EMBEDDING_TOKENS, truncated: false } } })) });
}

/** Answers a Gemini / Vertex AI request; false when `path` is not one. */
export function geminiRoute(path: string, body: Obj, headers: http.IncomingHttpHeaders, res: http.ServerResponse): boolean {
  const m = ROUTE.exec(path);
  if (m === null) return false;
  const [, model, method] = m;
  if (scriptedError(res, model)) return true;
  const chunks = Math.max(2, Number(headers['x-test-chunks'] ?? 4) || 4);
  if (method === 'generateContent') generate(res, model, chunks);
  else if (method === 'streamGenerateContent') stream(res, model, chunks);
  else if (method === 'batchEmbedContents') batchEmbed(res, body);
  else predict(res, body);
  return true;
}
