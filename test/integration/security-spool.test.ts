/**
 * Security: spool files are readable by the owner only (directory 0700, files 0600), even when
 * the app runs with umask 000, on the normal path and on the synchronous process.exit() path,
 * and also when the directory already existed with wider permissions.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';
import { SPOOL_FILE, tempDir } from '../helpers/postgres';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);
const mode = (p: string): number => fs.statSync(p).mode & 0o777;
const octal = (m: number): string => m.toString(8).padStart(3, '0');

describe('security: spool file permissions', function () {
  this.timeout(60_000);

  const env = (spoolDir: string, probe: string, extra: Record<string, string> = {}): Record<string, string> => ({
    AGENTOPS_EXPORTERS: 'postgres',
    AGENTOPS_PG_URL: 'postgres://postgres:postgres@127.0.0.1:1/none', // unreachable: everything is spooled
    AGENTOPS_PG_SPOOL_DIR: spoolDir,
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '20',
    AGENTOPS_PG_RETRY_BASE_MS: '10',
    AGENTOPS_PG_RETRY_MAX_DELAY_MS: '50',
    AGENTOPS_PG_RETRY_COUNT: '1',
    AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
    AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '1000',
    OTEL_BSP_SCHEDULE_DELAY: '20',
    UMASK_PROBE: probe,
    ...extra,
  });

  function assertOwnerOnly(dir: string, probe: string): void {
    // The control: the app really ran with umask 000 (a file written with default mode is 0666).
    assert.equal(octal(mode(probe)), '666', 'umask 000 was in effect');
    assert.equal(octal(mode(dir)), '700', `spool directory ${dir}`);
    const files = fs.readdirSync(dir);
    // A spool file the exiting app had begun to replay keeps its claim suffix (the next process
    // reclaims it): it is spooled all the same, and its mode is checked like the others.
    assert.ok(
      files.some((f) => SPOOL_FILE.test(f)),
      `something was spooled: ${files.join(', ')}`,
    );
    for (const f of files) assert.equal(octal(mode(path.join(dir, f))), '600', f);
  }

  const cases: Array<{ name: string; args: string[]; code: number; existing: boolean }> = [
    { name: 'a new directory, spooled while running', args: ['all-events.js'], code: 0, existing: false },
    { name: 'a new directory, spooled synchronously after process.exit()', args: ['exit-modes.js', 'exit'], code: 3, existing: false },
    { name: 'an existing 0777 directory, spooled while running', args: ['all-events.js'], code: 0, existing: true },
    { name: 'an existing 0777 directory, spooled synchronously after process.exit()', args: ['exit-modes.js', 'exit'], code: 3, existing: true },
  ];
  for (const c of cases) {
    it(`directory 0700 and files 0600 under umask 000: ${c.name}`, async () => {
      const base = tempDir();
      const dir = path.join(base, 'nested', 'spool');
      if (c.existing) {
        fs.mkdirSync(dir, { recursive: true });
        fs.chmodSync(dir, 0o777);
      }
      const probe = path.join(base, 'probe');
      const extra: Record<string, string> = c.args[0] === 'exit-modes.js' ? { OTEL_BSP_SCHEDULE_DELAY: '60000' } : {};
      const res = await runNode(fixture('security-umask.js'), { args: c.args, env: env(dir, probe, extra) });
      assert.equal(res.code, c.code, res.stderr);
      assertOwnerOnly(dir, probe);
    });
  }
});
