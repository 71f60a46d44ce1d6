import * as assert from 'node:assert/strict';
import { JsonLogger } from '../../src/shared/logger';
import { redactSecrets, registerSecret } from '../../src/shared/redact';

describe('logger: JSON lines, rate-limited, secrets masked', () => {
  it('writes one JSON object per line with level and message', () => {
    const lines: string[] = [];
    const log = new JsonLogger({ level: 'info', write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('shown', { spanId: 'abc', n: 1n, err: Object.assign(new Error('bad'), { code: '57P01' }) });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith('\n'));
    const rec = JSON.parse(lines[0]);
    assert.equal(rec.level, 'info');
    assert.equal(rec.msg, 'shown');
    assert.equal(rec.spanId, 'abc');
    assert.equal(rec.n, '1');
    assert.deepEqual(rec.err, { type: 'Error', message: 'bad', code: '57P01' });
  });

  it('lets one line per key through per interval and counts the rest', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new JsonLogger({ intervalMs: 1000, now: () => now, write: (l) => lines.push(l) });
    for (let i = 0; i < 50; i++) log.limited('warn', 'k', 'db down');
    log.limited('warn', 'other', 'other key');
    assert.equal(lines.length, 2);
    now = 1500;
    log.limited('warn', 'k', 'db down');
    assert.equal(JSON.parse(lines[2]).suppressed, 49);
  });

  it('masks registered secrets and URL credentials everywhere', () => {
    registerSecret('pa55word-xyz');
    assert.equal(redactSecrets('postgres://u:pa55word-xyz@h/db'), 'postgres://u:****@h/db');
    assert.equal(redactSecrets('auth failed for pa55word-xyz'), 'auth failed for ****');
    assert.equal(redactSecrets('host=h password=abc user=u'), 'host=h password=**** user=u');
    const lines: string[] = [];
    new JsonLogger({ write: (l) => lines.push(l) }).error('connect postgres://a:b1@h failed', { url: 'postgres://a:b1@h', e: new Error('pa55word-xyz') });
    assert.ok(!lines[0].includes('b1@') && !lines[0].includes('pa55word-xyz'), lines[0]);
  });

  it('never throws, even when writing fails', () => {
    const log = new JsonLogger({
      write: () => {
        throw new Error('EPIPE');
      },
    });
    assert.doesNotThrow(() => log.error('x'));
  });
});
