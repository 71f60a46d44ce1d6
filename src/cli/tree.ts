/**
 * A trace as an indented tree with a timeline bar per span: a terminal waterfall like Jaeger's.
 * Pure: spans in, lines out.
 *
 * Spans whose parent is not in the table (a session still open: its agent and session spans are
 * written when they end) hang under a placeholder line for the missing parent, so the shape of
 * the trace stays visible.
 */
import { formatCost, formatCount, formatDuration, padEnd, padStart, truncate } from './format';

export interface TraceSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  serviceName: string | null;
  startNs: bigint;
  endNs: bigint;
  status: string;
  statusMessage: string | null;
  attributes: Record<string, unknown>;
}

export interface TreeNode {
  /** null for the placeholder of a parent that is not recorded. */
  span: TraceSpan | null;
  /** The span id this node stands for (the missing parent's id for a placeholder). */
  id: string;
  children: TreeNode[];
}

export interface FlatNode {
  node: TreeNode;
  depth: number;
  /** Tree-drawing prefix, e.g. `│  ├─ `. */
  prefix: string;
}

/** Roots first by start time; children by start time. A span never becomes its own ancestor. */
export function buildTree(spans: readonly TraceSpan[]): TreeNode[] {
  const nodes = new Map<string, TreeNode>();
  for (const s of spans) if (!nodes.has(s.spanId)) nodes.set(s.spanId, { span: s, id: s.spanId, children: [] });
  const roots: TreeNode[] = [];
  const placeholders = new Map<string, TreeNode>();
  for (const node of nodes.values()) {
    const parentId = node.span!.parentSpanId;
    if (parentId === null || parentId === '' || parentId === node.id) {
      roots.push(node);
      continue;
    }
    const parent = nodes.get(parentId);
    if (parent !== undefined) {
      parent.children.push(node);
      continue;
    }
    let ph = placeholders.get(parentId);
    if (ph === undefined) {
      ph = { span: null, id: parentId, children: [] };
      placeholders.set(parentId, ph);
      roots.push(ph);
    }
    ph.children.push(node);
  }
  // Hostile data may hold parent cycles, unreachable from any root: cut each at one node.
  const reached = new Set<TreeNode>();
  const visit = (from: TreeNode[]): void => {
    const stack = [...from];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (reached.has(n)) continue;
      reached.add(n);
      for (const c of n.children) stack.push(c);
    }
  };
  visit(roots);
  for (const node of nodes.values()) {
    if (reached.has(node)) continue;
    const parent = nodes.get(node.span!.parentSpanId!);
    if (parent !== undefined) parent.children = parent.children.filter((c) => c !== node);
    roots.push(node);
    visit([node]);
  }
  const key = (n: TreeNode): bigint => {
    if (n.span !== null) return n.span.startNs;
    let m: bigint | undefined;
    for (const c of n.children) if (c.span !== null && (m === undefined || c.span.startNs < m)) m = c.span.startNs;
    return m ?? 0n;
  };
  const cmp = (a: TreeNode, b: TreeNode): number => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
  roots.sort(cmp);
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children.length > 1) n.children.sort(cmp);
    for (const c of n.children) stack.push(c);
  }
  return roots;
}

export interface Glyphs {
  branch: string;
  last: string;
  pipe: string;
  blank: string;
  fill: string;
  empty: string;
  edge: string;
  tick: string;
  /** Ends a cut text. */
  ellipsis: string;
  /** Input to output tokens. */
  arrow: string;
  /** Marks the placeholder of a parent that is not recorded. */
  missing: string;
  /** Separates the parts of the summary line. */
  separator: string;
  /** The micro sign in durations. */
  micro: string;
}

export const UNICODE: Glyphs = {
  branch: '├─ ',
  last: '└─ ',
  pipe: '│  ',
  blank: '   ',
  fill: '█',
  empty: ' ',
  edge: '│',
  tick: '▏',
  ellipsis: '…',
  arrow: '→',
  missing: '⋯',
  separator: ' · ',
  micro: 'µ',
};
export const ASCII: Glyphs = {
  branch: '|- ',
  last: '`- ',
  pipe: '|  ',
  blank: '   ',
  fill: '#',
  empty: ' ',
  edge: '|',
  tick: '|',
  ellipsis: '...',
  arrow: '->',
  missing: '...',
  separator: ' | ',
  micro: 'u',
};

/** Depth-first order with tree prefixes; iterative, so a 10,000-deep chain does not overflow. */
export function flattenTree(roots: readonly TreeNode[], g: Glyphs = UNICODE): FlatNode[] {
  const out: FlatNode[] = [];
  const stack: Array<{ node: TreeNode; depth: number; lead: string; isLast: boolean; isRoot: boolean }> = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ node: roots[i], depth: 0, lead: '', isLast: i === roots.length - 1, isRoot: true });
  while (stack.length > 0) {
    const { node, depth, lead, isLast, isRoot } = stack.pop()!;
    out.push({ node, depth, prefix: isRoot ? '' : lead + (isLast ? g.last : g.branch) });
    const childLead = isRoot ? '' : lead + (isLast ? g.blank : g.pipe);
    for (let i = node.children.length - 1; i >= 0; i--) {
      stack.push({ node: node.children[i], depth: depth + 1, lead: childLead, isLast: i === node.children.length - 1, isRoot: false });
    }
  }
  return out;
}

function attr(s: TraceSpan, key: string): unknown {
  return s.attributes[key];
}

function numAttr(s: TraceSpan, key: string): number | undefined {
  const v = attr(s, key);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function strAttr(s: TraceSpan, key: string): string | undefined {
  const v = attr(s, key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The attributes worth a glance, as short `k=v` text. */
export function keyAttributes(s: TraceSpan, g: Glyphs = UNICODE): string[] {
  const out: string[] = [];
  const kind = strAttr(s, 'agentops.span.kind');
  const type = strAttr(s, 'agentops.event.type');
  if (kind === 'session') {
    const state = strAttr(s, 'agentops.session.end_state');
    if (state) out.push(`end_state=${state}`);
    const reason = strAttr(s, 'agentops.session.end_state_reason');
    if (reason) out.push(`reason=${JSON.stringify(truncate(reason, 60, g.ellipsis))}`);
    const tags = attr(s, 'agentops.session.tags');
    if (Array.isArray(tags) && tags.length > 0) out.push(`tags=${tags.join(',')}`);
  }
  if (type === 'llms') {
    const model = strAttr(s, 'gen_ai.response.model') ?? strAttr(s, 'gen_ai.request.model');
    if (model) out.push(`model=${model}`);
    const provider = strAttr(s, 'gen_ai.provider.name');
    if (provider) out.push(`provider=${provider}`);
    const inT = numAttr(s, 'gen_ai.usage.input_tokens');
    const outT = numAttr(s, 'gen_ai.usage.output_tokens');
    if (inT !== undefined || outT !== undefined) out.push(`tokens=${formatCount(inT ?? 0)}${g.arrow}${formatCount(outT ?? 0)}`);
    const cost = numAttr(s, 'agentops.usage.cost_usd');
    if (cost !== undefined) out.push(`cost=${formatCost(cost)}`);
  }
  const errType = strAttr(s, 'error.type');
  if (errType) out.push(`error.type=${errType}`);
  const code = strAttr(s, 'agentops.error.code');
  if (code) out.push(`code=${code}`);
  if (s.status === 'ERROR' && s.statusMessage) out.push(JSON.stringify(truncate(s.statusMessage, 80, g.ellipsis)));
  return out;
}

export interface WaterfallOptions {
  /** Total line width in characters. */
  width: number;
  glyphs?: Glyphs;
  /** Show key attributes after the bar (default true). */
  attributes?: boolean;
}

/** The bar for [start, end] within [t0, t1] in `width` cells; at least one cell is marked. */
export function timelineBar(start: bigint, end: bigint, t0: bigint, t1: bigint, width: number, g: Glyphs = UNICODE): string {
  if (width <= 0) return '';
  const total = t1 > t0 ? Number(t1 - t0) : 1;
  const a = Math.min(width - 1, Math.max(0, Math.floor((Number(start - t0) / total) * width)));
  let b = Math.min(width, Math.max(0, Math.ceil((Number(end - t0) / total) * width)));
  if (b <= a) b = a + 1;
  const zero = end <= start;
  const cells: string[] = [];
  for (let i = 0; i < width; i++) cells.push(i >= a && i < b ? (zero ? g.tick : g.fill) : g.empty);
  return cells.join('');
}

/** The waterfall: a scale line, then one line per span (or placeholder). */
export function renderWaterfall(spans: readonly TraceSpan[], o: WaterfallOptions): string[] {
  const g = o.glyphs ?? UNICODE;
  const showAttrs = o.attributes ?? true;
  const flat = flattenTree(buildTree(spans), g);
  if (flat.length === 0) return [];
  let t0 = spans[0].startNs;
  let t1 = spans[0].endNs;
  for (const s of spans) {
    if (s.startNs < t0) t0 = s.startNs;
    if (s.endNs > t1) t1 = s.endNs;
  }
  const width = Math.max(60, o.width);
  const labels = flat.map((f) => f.prefix + (f.node.span ? f.node.span.name : `${g.missing} ${f.node.id} (not recorded)`));
  const nameW = Math.min(Math.max(...labels.map((l) => [...l].length), 8), Math.floor(width * 0.4));
  const durW = 9;
  const statusW = 5;
  const fixed = nameW + 1 + durW + 1 + statusW + 1 + 2; // spaces and the two bar edges
  const barW = Math.max(10, Math.floor((width - fixed) * (showAttrs ? 0.55 : 1)));
  const lines: string[] = [];
  const scaleLeft = ' '.repeat(nameW + 1 + durW + 1 + statusW + 1);
  const endLabel = formatDuration(t1 - t0, g.micro);
  lines.push(scaleLeft + ' ' + '0' + padStart(endLabel, barW - 1));
  flat.forEach((f, i) => {
    const s = f.node.span;
    const label = padEnd(truncate(labels[i], nameW, g.ellipsis), nameW);
    if (s === null) {
      lines.push(`${label} ${' '.repeat(durW)} ${' '.repeat(statusW)} ${g.edge}${' '.repeat(barW)}${g.edge}`.trimEnd());
      return;
    }
    const dur = padStart(formatDuration(s.endNs - s.startNs, g.micro), durW);
    const status = padEnd(s.status === 'ERROR' ? 'ERROR' : s.status === 'OK' ? 'OK' : '', statusW);
    const bar = timelineBar(s.startNs, s.endNs, t0, t1, barW, g);
    let line = `${label} ${dur} ${status} ${g.edge}${bar}${g.edge}`;
    if (showAttrs) {
      const extra = keyAttributes(s, g).join(' ');
      const room = width - [...line].length - 1;
      if (extra !== '' && room > 3) line += ' ' + truncate(extra, room, g.ellipsis);
    }
    lines.push(line.trimEnd());
  });
  return lines;
}
