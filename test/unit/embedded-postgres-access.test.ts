import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directoriesClosedToPostgresUser, openToPostgresUser, openingNotice } from '../../src/cli/embedded-postgres-access';

describe("demo as root: the embedded server's user reaches its binaries", () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-access-'));
  });
  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('finds the parent directories others cannot search, and adds only o+x to them', () => {
    const closed = path.join(base, 'closed');
    const open = path.join(closed, 'open');
    const leaf = path.join(open, 'leaf');
    fs.mkdirSync(leaf, { recursive: true });
    fs.chmodSync(base, 0o700);
    fs.chmodSync(closed, 0o750);
    fs.chmodSync(open, 0o755);
    fs.chmodSync(leaf, 0o700);
    const found = directoriesClosedToPostgresUser(leaf, 0);
    assert.deepEqual(
      found.filter((d) => d.startsWith(base)),
      [leaf, closed, base],
    );
    assert.ok(!found.includes(os.tmpdir()), 'a searchable directory is left alone');

    openToPostgresUser(found.filter((d) => d.startsWith(base)));
    const mode = (d: string): number => fs.statSync(d).mode & 0o777;
    assert.equal(mode(base), 0o701);
    assert.equal(mode(closed), 0o751);
    assert.equal(mode(open), 0o755);
    assert.equal(mode(leaf), 0o701);
    assert.deepEqual(
      directoriesClosedToPostgresUser(leaf, 0).filter((d) => d.startsWith(base)),
      [],
    );
  });

  it('changes nothing when not root: the server then runs as the current user', () => {
    fs.chmodSync(base, 0o700);
    assert.deepEqual(directoriesClosedToPostgresUser(base, 1000), []);
  });

  it('says what it will change in one line', () => {
    const line = openingNotice(['/a', '/a/b']);
    assert.ok(!line.includes('\n'));
    assert.match(line, /user postgres.*o\+x, not read.* \/a, \/a\/b$/);
  });
});
