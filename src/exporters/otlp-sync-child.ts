/** Child side of sendOtlpSync: POSTs stdin to the URL it is given and exits 0 on a 2xx answer. */
import * as http from 'node:http';
import * as https from 'node:https';
import type { SyncSendRequest } from './otlp-sync';

const req = JSON.parse(process.env.AGENTOPS_SYNC_SEND ?? '{}') as SyncSendRequest;
const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => {
  const body = Buffer.concat(chunks);
  const url = new URL(req.url);
  const mod = url.protocol === 'https:' ? https : http;
  const r = mod.request(
    url,
    { method: 'POST', headers: { ...req.headers, 'Content-Length': String(body.length) }, timeout: req.timeoutMillis, ca: req.ca },
    (res) => {
      res.resume();
      res.on('end', () => {
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        if (!ok) process.stderr.write(`HTTP ${res.statusCode}`);
        process.exit(ok ? 0 : 1);
      });
    },
  );
  r.on('timeout', () => r.destroy(new Error('timeout')));
  r.on('error', (err) => {
    process.stderr.write(err.message);
    process.exit(1);
  });
  r.end(body);
});
