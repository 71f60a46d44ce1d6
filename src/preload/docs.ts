/**
 * The configuration table of the README, rendered from the variable lists the code reads, so
 * the two cannot drift apart (a unit test compares them). `node dist/src/preload/docs.js --write`
 * rewrites the README's table in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeOtlpExporterConfig } from '../exporters/otlp/config';
import { describePostgresConfig } from '../exporters/postgres/config';
import { CORE_VARIABLES, type VariableDoc } from '../config/variables';

export const TABLE_START = '<!-- variables:start -->';
export const TABLE_END = '<!-- variables:end -->';

export function allVariables(): VariableDoc[] {
  return [...CORE_VARIABLES, ...describeOtlpExporterConfig(), ...describePostgresConfig()];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderVariablesTable(): string {
  const rows = allVariables().map((v) => `| \`${v.variable}\` | ${cell(v.default)} | ${cell(v.meaning)} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function withVariablesTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`README has no ${TABLE_START} … ${TABLE_END} block`);
  return readme.slice(0, start + TABLE_START.length) + '\n' + renderVariablesTable() + '\n' + readme.slice(end);
}

if (require.main === module && process.argv.includes('--write')) {
  const file = path.join(__dirname, '..', '..', '..', 'README.md');
  fs.writeFileSync(file, withVariablesTable(fs.readFileSync(file, 'utf8')));
}
