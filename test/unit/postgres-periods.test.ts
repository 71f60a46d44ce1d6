import * as assert from 'node:assert/strict';
import { nextStart, nsToMs, parseBound, partitionName, periodAt, periodStart, periodsAround, PERIODS_AHEAD } from '../../src/exporters/postgres/maintenance/periods';
import { missingPeriods } from '../../src/exporters/postgres/maintenance/partitions';

const iso = (ms: number): string => new Date(ms).toISOString();

describe('postgres partition periods', () => {
  it('days, ISO weeks (Monday) and months start at 00:00 UTC', () => {
    const t = Date.UTC(2024, 1, 29, 23, 59, 59, 999); // a leap-day Thursday
    assert.equal(iso(periodStart('day', t)), '2024-02-29T00:00:00.000Z');
    assert.equal(iso(periodStart('week', t)), '2024-02-26T00:00:00.000Z');
    assert.equal(iso(periodStart('month', t)), '2024-02-01T00:00:00.000Z');
    assert.equal(iso(periodStart('week', Date.UTC(2024, 2, 3, 12))), '2024-02-26T00:00:00.000Z', 'a Sunday belongs to the week begun on Monday');
    assert.equal(iso(periodStart('week', Date.UTC(2024, 2, 4))), '2024-03-04T00:00:00.000Z');
    assert.equal(iso(nextStart('month', Date.UTC(2024, 11, 1))), '2025-01-01T00:00:00.000Z');
    assert.equal(iso(nextStart('month', Date.UTC(2024, 0, 1))), '2024-02-01T00:00:00.000Z');
  });

  it('bounds are nanoseconds; a time before 1970 lands in its own period', () => {
    const p = periodAt('day', Date.UTC(2024, 4, 1, 12));
    assert.equal(p.lo, BigInt(Date.UTC(2024, 4, 1)) * 1_000_000n);
    assert.equal(p.hi - p.lo, 86_400_000_000_000n);
    assert.equal(nsToMs(-1n), -1);
    assert.equal(nsToMs(-1_000_000n), -1);
    assert.equal(nsToMs(1_999_999n), 1);
    assert.equal(iso(periodAt('day', nsToMs(-1n)).startMs), '1969-12-31T00:00:00.000Z');
  });

  it('the window is the period before, the current one and those ahead, contiguous', () => {
    for (const interval of ['day', 'week', 'month'] as const) {
      const ps = periodsAround(interval, Date.UTC(2024, 11, 31, 18));
      assert.equal(ps.length, PERIODS_AHEAD[interval] + 2);
      for (let i = 1; i < ps.length; i++) assert.equal(ps[i].lo, ps[i - 1].hi, `${interval} ${i}`);
      assert.ok(ps[1].startMs <= Date.UTC(2024, 11, 31, 18) && Date.UTC(2024, 11, 31, 18) < ps[1].endMs);
    }
  });

  it('names are sortable and differ per interval', () => {
    const t = Date.UTC(2024, 4, 1);
    assert.equal(partitionName('agentops_spans', periodAt('day', t)), 'agentops_spans_d20240501');
    assert.equal(partitionName('agentops_spans', periodAt('week', t)), 'agentops_spans_w20240429');
    assert.equal(partitionName('agentops_spans', periodAt('month', t)), 'agentops_spans_m202405');
    assert.ok(partitionName('a'.repeat(46), periodAt('day', t)).length + '_ts'.length <= 63);
  });

  it('reads partition bounds as PostgreSQL prints them; a changed interval never overlaps what exists', () => {
    assert.deepEqual(parseBound("FOR VALUES FROM ('1714521600000000000') TO ('1714608000000000000')"), { lo: 1714521600000000000n, hi: 1714608000000000000n });
    assert.deepEqual(parseBound('FOR VALUES FROM (-86400000000000) TO (0)'), { lo: -86400000000000n, hi: 0n });
    assert.equal(parseBound('DEFAULT'), 'default');
    assert.equal(parseBound("FOR VALUES IN ('x')"), null);
    const days = periodsAround('day', Date.UTC(2024, 4, 15)).map((p) => ({ name: 'd', lo: p.lo, hi: p.hi }));
    const months = missingPeriods(days, periodsAround('month', Date.UTC(2024, 4, 15)));
    assert.deepEqual(
      months.map((p) => iso(p.startMs).slice(0, 7)),
      ['2024-04', '2024-06', '2024-07', '2024-08'],
      'May overlaps the day partitions',
    );
  });
});
