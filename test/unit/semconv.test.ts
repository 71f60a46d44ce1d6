/**
 * Attribute names are declared once: each instrumentations/<library>/semconv.ts holds only names
 * that no other one declares and that @opentelemetry/semantic-conventions does not export as stable.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as stable from '@opentelemetry/semantic-conventions';
import { REPO_ROOT } from '../helpers/child';

const DIR = path.join(REPO_ROOT, 'instrumentations');

/** `export const ATTR_X = '...'` of every semconv.ts, as [file, name, value]. */
function declaredAttributes(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const lib of fs.readdirSync(DIR)) {
    const file = path.join(DIR, lib, 'semconv.ts');
    if (!fs.existsSync(file)) continue;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^export const (ATTR_\w+) = '([^']*)';/gm)) out.push([`${lib}/semconv.ts`, m[1], m[2]]);
  }
  return out;
}

describe('semantic conventions', () => {
  it('declares each attribute name once, and none the stable package exports', () => {
    const declared = declaredAttributes();
    assert.ok(declared.length > 50, `only ${declared.length} names found: the pattern no longer matches the files`);
    const stableValues = new Map<string, string>();
    for (const [k, v] of Object.entries(stable)) if (k.startsWith('ATTR_') && typeof v === 'string') stableValues.set(v, k);
    const seen = new Map<string, string>();
    const problems: string[] = [];
    for (const [file, name, value] of declared) {
      const other = seen.get(value);
      if (other !== undefined) problems.push(`${file} ${name}: '${value}' is also declared in ${other}`);
      seen.set(value, `${file} ${name}`);
      const inPackage = stableValues.get(value);
      if (inPackage !== undefined) problems.push(`${file} ${name}: import ${inPackage} from @opentelemetry/semantic-conventions`);
    }
    assert.deepEqual(problems, []);
  });
});
