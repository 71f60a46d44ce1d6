/**
 * A detached process that outlives the app: started at exit when something is left in a spool,
 * it replays the spools to their destinations (OTLP to the receiver, rows to the table) for up
 * to a minute, so a nightly job's spans arrive within seconds instead of at its next run. One
 * helper per set of spools runs at a time; the next process's exporters replay what it leaves.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPLAY_HELPER_MARK } from '../shared/loader-thread';
import { logger } from '../shared/logger';
import type { DestinationsConfig } from './core';

export { REPLAY_HELPER_MARK };
export const HELPER_BUDGET_MS = 60_000;

function lockPath(cfg: DestinationsConfig): string | undefined {
  const dirs = [cfg.otlp?.spoolDir, cfg.postgres?.spoolDir].filter((d): d is string => d !== undefined);
  if (dirs.length === 0) return undefined;
  const key = createHash('sha256').update(dirs.join('\0')).digest('hex').slice(0, 16);
  return path.join(path.dirname(dirs[0]), `replay-helper-${key}.lock`);
}

/** Starts the helper unless one is already running for these spools. Never throws. */
export function spawnReplayHelper(cfg: DestinationsConfig): boolean {
  try {
    const lock = lockPath(cfg);
    if (lock === undefined || lockHolderAlive(lock)) return false;
    const child = spawn(process.execPath, [path.join(__dirname, 'replay-helper-main.js')], {
      detached: true,
      stdio: 'ignore',
      // The mark carries our pid: the helper starts once we are gone, so no spool file is still
      // claimed by this process when it looks.
      env: { ...process.env, [REPLAY_HELPER_MARK]: String(process.pid) },
      windowsHide: true,
    });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch (err) {
    logger.limited('warn', 'replay-helper.spawn', 'could not start the replay helper; the next process replays the spool', { error: err });
    return false;
  }
}

function lockHolderAlive(lock: string): boolean {
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock (mode 0600); false when a live helper holds it. */
export function acquireLock(cfg: DestinationsConfig): (() => void) | undefined {
  const lock = lockPath(cfg);
  if (lock === undefined) return undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          fs.unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || lockHolderAlive(lock)) return undefined;
      try {
        fs.unlinkSync(lock); // left by a helper that died
      } catch {
        // another helper removed it first
      }
    }
  }
  return undefined;
}

/** Resolves once process `pid` has ended (or after `maxMs`). */
export async function parentGone(pid: number, maxMs = 10_000): Promise<void> {
  const until = Date.now() + maxMs;
  while (Number.isInteger(pid) && pid > 0 && Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
