/**
 * A loopback OTLP/HTTP receiver for the benches: decodes each request (protobuf or JSON, the real
 * wire format) to count spans and duplicates, and can be switched between answering, hanging,
 * resetting connections and refusing them (the port closed, then reopened on the same number).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { decodeOtlpJson, decodeOtlpProtobuf } from '../test/helpers/otlp-receiver';

export type SinkMode = 'ok' | 'hang' | 'reset' | 'refuse';

export class OtlpSink {
  readonly seen = new Map<string, number>();
  requests = 0;
  private mode: SinkMode = 'ok';
  private server: http.Server;
  private port = 0;
  private readonly sockets = new Set<Socket>();

  private constructor() {
    this.server = this.create();
  }

  static async start(): Promise<OtlpSink> {
    const s = new OtlpSink();
    await s.listen();
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  /** Spans received (2xx answered), and how many of them arrived more than once. */
  get spans(): number {
    let n = 0;
    for (const v of this.seen.values()) n += v;
    return n;
  }

  get duplicates(): number {
    let n = 0;
    for (const v of this.seen.values()) n += v - 1;
    return n;
  }

  distinct(traceIds?: Set<string>): number {
    if (traceIds === undefined) return this.seen.size;
    let n = 0;
    for (const k of this.seen.keys()) if (traceIds.has(k.slice(0, 32))) n++;
    return n;
  }

  async setMode(mode: SinkMode): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    if (mode === 'refuse' && was !== 'refuse') await this.closeServer();
    if (was === 'refuse' && mode !== 'refuse') {
      this.server = this.create();
      await this.listen(this.port);
    }
    if (mode === 'ok') for (const s of this.sockets) s.destroy();
  }

  reset(): void {
    this.seen.clear();
    this.requests = 0;
  }

  async close(): Promise<void> {
    if (this.mode !== 'refuse') await this.closeServer();
  }

  private create(): http.Server {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        if (this.mode === 'hang') return;
        if (this.mode === 'reset') return req.socket.destroy();
        const body = Buffer.concat(chunks);
        try {
          const spans = String(req.headers['content-type']).includes('json') ? decodeOtlpJson(body) : decodeOtlpProtobuf(body);
          for (const s of spans) {
            const k = `${s.traceId}${s.spanId}`;
            this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
          }
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        } catch {
          res.writeHead(400).end('undecodable');
        }
      });
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private listen(port = 0): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
