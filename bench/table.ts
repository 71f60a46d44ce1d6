/** One line of the benchmark table. Every bench module returns these; bench/run.ts prints and saves them. */
export interface BenchRow {
  /** Which benchmark group the row belongs to (a heading in BENCHMARKS.md). */
  group: string;
  name: string;
  value: number;
  unit: string;
  /** The target and whether it was met, or context for the figure. */
  note?: string;
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function toMarkdown(rows: BenchRow[]): string {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    const g = groups.get(r.group) ?? [];
    g.push(r);
    groups.set(r.group, g);
  }
  const out: string[] = [];
  for (const [group, list] of groups) {
    out.push(`## ${group}`, '', '| measurement | value | unit | note |', '|---|---:|---|---|');
    for (const r of list) out.push(`| ${r.name} | ${formatValue(r.value)} | ${r.unit} | ${r.note ?? ''} |`);
    out.push('');
  }
  return out.join('\n');
}
