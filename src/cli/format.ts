/**
 * Pure text formatting for the CLI: tables, durations, times, numbers. No I/O here, so every
 * function is unit-tested directly.
 */

/** `850 ns`, `12.3 µs`, `12.3 ms`, `1.23 s`, `2m 03s`, `1h 02m`; `micro` replaces `µ` (`u` for ASCII output). */
export function formatDuration(ns: bigint | number | null | undefined, micro = 'µ'): string {
  if (ns === null || ns === undefined) return '';
  const n = typeof ns === 'bigint' ? ns : BigInt(Math.round(ns));
  if (n < 0n) return `-${formatDuration(-n, micro)}`;
  if (n < 1000n) return `${n} ns`;
  const v = Number(n);
  if (v < 1e6) return `${trim(v / 1e3)} ${micro}s`;
  if (v < 1e9) return `${trim(v / 1e6)} ms`;
  if (v < 60e9) return `${trim(v / 1e9)} s`;
  const s = Math.floor(v / 1e9);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Three significant digits, no trailing zeros: 12.3, 1.23, 123. */
function trim(x: number): string {
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  const t = x.toFixed(digits);
  return t.includes('.') ? t.replace(/\.?0+$/, '') : t;
}

const NS_PER_MS = 1_000_000n;

/** Exact ISO 8601 with nanoseconds: `2024-01-02T03:04:05.678123456Z`. */
export function isoNanos(ns: bigint): string {
  let ms = ns / NS_PER_MS;
  let rest = ns % NS_PER_MS;
  if (rest < 0n) {
    rest += NS_PER_MS;
    ms -= 1n;
  }
  const base = new Date(Number(ms)).toISOString(); // ...SS.mmmZ
  return `${base.slice(0, -1)}${String(rest).padStart(6, '0')}Z`;
}

/** For tables: `2024-01-02 03:04:05` (UTC). */
export function shortTime(ns: bigint | null | undefined): string {
  if (ns === null || ns === undefined) return '';
  return new Date(Number(ns / NS_PER_MS)).toISOString().slice(0, 19).replace('T', ' ');
}

export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '';
  if (usd === 0) return '$0';
  if (usd < 0.01)
    return `$${usd
      .toPrecision(2)
      .replace(/(\.\d*?)0+$/, '$1')
      .replace(/\.$/, '')}`;
  return `$${usd.toFixed(2)}`;
}

/**
 * `1,234,567`. Grouped by hand: the first toLocaleString of a process sets up ICU's number
 * formatting, about 30 ms of a command's start-up.
 */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  const digits = BigInt(Math.round(n)).toString();
  const sign = digits.startsWith('-') ? '-' : '';
  return sign + digits.slice(sign.length).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Cuts to `width` display characters, the last of them the ellipsis (`...` for ASCII output). */
export function truncate(text: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  const kept = chars.slice(0, Math.max(0, width - [...ellipsis].length));
  return [...kept, ...ellipsis].slice(0, width).join('');
}

/**
 * Text for ASCII-only output: each character outside printable ASCII becomes `?`, one for one,
 * so widths measured in characters stay right.
 */
export function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, '?');
}

const ASCII_SPELLING: Record<string, string> = { '→': '->', '…': '...', '·': '|', µ: 'u', '—': '-', '–': '-', '‘': "'", '’': "'", '“': '"', '”': '"' };

/**
 * Free text (messages, hints, progress lines) for ASCII-only output: our punctuation spelled in
 * ASCII, line breaks kept, any other character outside printable ASCII as `?`.
 */
export function asciiText(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/gu, (c) => ASCII_SPELLING[c] ?? '?');
}

/** JSON text with every character outside ASCII as a `\u` escape: the same JSON value, in ASCII. */
export function asciiJson(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function displayWidth(text: string): number {
  return [...text].length;
}

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longest a cell may be before it is cut with an ellipsis. */
  max?: number;
}

/** A plain-text table: a header, a rule, and rows, columns separated by two spaces. */
export function renderTable(columns: Column[], rows: string[][]): string {
  const cells = rows.map((r) => columns.map((c, i) => truncate(r[i] ?? '', c.max ?? Infinity)));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i]))));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (columns[i].align === 'right' ? padStart(cell, widths[i]) : padEnd(cell, widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  return out.join('\n') + '\n';
}

/** A pg numeric/bigint (text) or number as a number; null stays null. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function toBigInt(v: unknown): bigint | null {
  if (v === null || v === undefined || v === '') return null;
  try {
    return BigInt(v as string | number | bigint);
  } catch {
    return null;
  }
}
