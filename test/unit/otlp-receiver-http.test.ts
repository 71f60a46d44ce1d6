/** The loopback OTLP receiver's HTTP side: address, answers per content type and path, waiting, scripted answers. */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { handBuiltRequest } from '../helpers/otlp-hand-built';

function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('otlp-receiver: HTTP behaviour', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  it('listens on 127.0.0.1 and exposes url/endpoint', () => {
    assert.match(receiver.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(receiver.url, `${receiver.endpoint}/v1/traces`);
    assert.ok(receiver.port > 0);
  });

  it('answers success with an empty ExportTraceServiceResponse in the request format', async () => {
    const proto = await post(receiver.url, Buffer.from(handBuiltRequest()), { 'content-type': 'application/x-protobuf' });
    assert.equal(proto.status, 200);
    assert.equal(proto.headers['content-type'], 'application/x-protobuf');
    assert.equal(proto.body.length, 0);
    const json = await post(receiver.url, JSON.stringify({ resourceSpans: [] }), { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(json.status, 200);
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(json.body.toString(), '{}');
    assert.equal(receiver.spans.length, 3);
    assert.deepEqual(
      receiver.requests.map((r) => r.contentType),
      ['application/x-protobuf', 'application/json'],
    );
  });

  it('answers 400 for undecodable bodies, 415 for other content types, 404 for other paths', async () => {
    const bad = await post(receiver.url, Buffer.from([0x0a, 0x05, 0x01]), { 'content-type': 'application/x-protobuf' });
    assert.equal(bad.status, 400);
    assert.match(receiver.requests[0]!.decodeError ?? '', /not an ExportTraceServiceRequest: index out of range/);
    assert.equal((await post(receiver.url, 'x', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(`${receiver.endpoint}/v1/logs`, '{}', { 'content-type': 'application/json' })).status, 404);
    const badGzip = await post(receiver.url, Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(badGzip.status, 400);
    assert.equal(receiver.spans.length, 0);
    assert.equal(receiver.requests.length, 4);
  });

  it('waitForSpans rejects on timeout with a description of what arrived', async () => {
    await post(receiver.url, Buffer.from('x'), { 'content-type': 'text/plain' });
    await assert.rejects(receiver.waitForSpans(1, 100), /expected >= 1 span\(s\), got 0 within 100ms; requests: \[#0 text\/plain identity spans=0 -> 415\]/);
    await assert.rejects(
      receiver.waitFor((s) => s.length > 0, 50),
      /predicate not satisfied/,
    );
  });

  it('waitFor resolves when a later request satisfies the predicate; enqueue/setResponse change answers', async () => {
    receiver.enqueue({ status: 500 });
    const waiting = receiver.waitFor((s) => s.some((x) => x.name === 'third'), 2000);
    const body = Buffer.from(handBuiltRequest());
    const h = { 'content-type': 'application/x-protobuf' };
    assert.equal((await post(receiver.url, body, h)).status, 500);
    assert.equal(receiver.spans.length, 0, 'refused spans are not accepted');
    assert.equal((await post(receiver.url, body, h)).status, 200);
    const spans = await waiting;
    assert.equal(spans.length, 3);
    receiver.setResponse({ status: 503, headers: { 'Retry-After': '7' } });
    const refused = await post(receiver.url, body, h);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '7');
    receiver.reset();
    assert.equal(receiver.spans.length, 0);
    assert.equal(receiver.requests.length, 0);
  });
});
