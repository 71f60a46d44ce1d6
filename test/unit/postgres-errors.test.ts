import * as assert from 'node:assert/strict';
import { classifyError, classifySqlState } from '../../src/exporters/postgres/errors';
import { backoffDelay } from '../../src/exporters/retry';

const pgErr = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('postgres error classification', () => {
  it('network failures and server restarts are transient', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']) assert.equal(classifyError(pgErr(code)), 'transient', code);
    for (const code of ['57P01', '57P02', '57P03', '53300', '53100', '40001', '40P01', '08006', '08001', '08P01', '57014', '55P03']) assert.equal(classifySqlState(code), 'transient', code);
    assert.equal(classifyError(new Error('Connection terminated unexpectedly')), 'transient');
    assert.equal(classifyError(new Error('timeout exceeded when trying to connect')), 'transient');
    assert.equal(classifyError(new Error('Query read timeout')), 'transient');
    const agg = Object.assign(new Error('x'), { errors: [pgErr('ECONNREFUSED'), pgErr('ECONNREFUSED')] });
    assert.equal(classifyError(agg), 'transient');
  });

  it('bad data is data, duplicates are duplicates', () => {
    for (const code of ['22P05', '22021', '22P02', '22003', '22008', '23502', '23514', '54000', '54001']) assert.equal(classifySqlState(code), 'data', code);
    assert.equal(classifySqlState('23505'), 'duplicate');
  });

  it('operator problems are config; the rest unknown', () => {
    for (const code of ['28P01', '28000', '3D000', '42P01', '42501', '42703']) assert.equal(classifySqlState(code), 'config', code);
    assert.equal(classifySqlState('42601'), 'unknown');
    assert.equal(classifyError(new Error('something odd')), 'unknown');
    assert.equal(classifyError(undefined), 'unknown');
    assert.equal(classifyError('text'), 'unknown');
  });
});

describe('postgres backoff', () => {
  it('full jitter: uniform in [0, min(max, base*2^attempt)]', () => {
    const o = { baseMs: 100, maxMs: 5000 };
    assert.equal(
      backoffDelay(0, o, () => 0.999999),
      99,
    );
    assert.equal(
      backoffDelay(3, o, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(20, o, () => 0.999999),
      4999,
    );
    assert.equal(
      backoffDelay(1000, o, () => 0),
      0,
    );
  });
});
