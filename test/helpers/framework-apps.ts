/**
 * App directories for framework tests whose package must be loaded under its real name while the
 * repository installs it under an npm alias (`ai-v6` is `ai` 6.x, beside `ai` 7.x). The directory
 * has `node_modules/<name>` packages that re-export the aliased one (CommonJS and ESM), so the app
 * `require`s / `import`s the real name, as a user's app does, and the preload sees that name and
 * the version the package.json there gives (the aliased package's own, unless told otherwise).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './child';

export interface AliasedPackage {
  /** The name the app uses. */
  name: string;
  /** The directory name in the repository's node_modules. */
  alias: string;
  /** The version the app's copy claims (default: the aliased package's). */
  version?: string;
}

function entryOf(pkgDir: string, condition: 'require' | 'import'): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { main?: string; module?: string; exports?: Record<string, unknown> };
  const dot = pkg.exports?.['.'] as Record<string, unknown> | string | undefined;
  const pick = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : v !== null && typeof v === 'object' ? pick((v as Record<string, unknown>)[condition] ?? (v as Record<string, unknown>).default) : undefined;
  const rel = pick(dot) ?? (condition === 'import' ? pkg.module : undefined) ?? pkg.main ?? 'index.js';
  return path.join(pkgDir, rel);
}

/** A temporary app directory with `files` (from test/fixtures) copied in and the packages linked. */
export function makeAppDir(files: string[], packages: AliasedPackage[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-otel-app-'));
  for (const f of files) fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', f), path.join(dir, path.basename(f)));
  const all: AliasedPackage[] = [...packages, { name: 'agentops-otel', alias: '' }];
  for (const p of all) {
    const target = p.alias === '' ? REPO_ROOT : path.join(REPO_ROOT, 'node_modules', p.alias);
    const own = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8')) as { version: string };
    const pkgDir = path.join(dir, 'node_modules', ...p.name.split('/'));
    fs.mkdirSync(pkgDir, { recursive: true });
    const cjs = p.alias === '' ? path.join(REPO_ROOT, 'dist', 'src', 'index.js') : entryOf(target, 'require');
    const esm = p.alias === '' ? cjs : entryOf(target, 'import');
    fs.writeFileSync(path.join(pkgDir, 'index.js'), `module.exports = require(${JSON.stringify(cjs)});\n`);
    fs.writeFileSync(path.join(pkgDir, 'index.mjs'), p.alias === '' ? `export * from ${JSON.stringify(pathToFileURL(cjs).href)};\n` : `export * from ${JSON.stringify(pathToFileURL(esm).href)};\n`);
    const manifest = { name: p.name, version: p.version ?? own.version, main: 'index.js', exports: { '.': { import: './index.mjs', require: './index.js' } } };
    fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify(manifest));
  }
  return dir;
}

/**
 * An app directory whose `node_modules/<name>` is the repository's copy of that package with its
 * package.json saying `version`: its files are symlinks, so run the app with `--preserve-symlinks`
 * (the preload then reads that version) and NODE_PATH set to `nodePath` (its dependencies).
 */
export function makeRelabelledPackageApp(files: string[], name: string, version: string): { dir: string; nodePath: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-otel-app-'));
  for (const f of files) fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', f), path.join(dir, path.basename(f)));
  const real = path.join(REPO_ROOT, 'node_modules', ...name.split('/'));
  const pkgDir = path.join(dir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(pkgDir, { recursive: true });
  for (const entry of fs.readdirSync(real)) {
    if (entry === 'package.json') continue;
    fs.symlinkSync(path.join(real, entry), path.join(pkgDir, entry));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ ...manifest, version }));
  return { dir, nodePath: path.join(REPO_ROOT, 'node_modules') };
}
