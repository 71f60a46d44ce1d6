/**
 * Export work yields the CPU to the app: the export thread (and the replay helper) run at a
 * higher nice value, so that on a machine short of cores the scheduler runs the app's thread
 * first and the exporters catch up in the gaps. Memory stays bounded meanwhile: what the
 * exporters cannot hold goes to the spool.
 *
 * Linux only: there `setpriority(PRIO_PROCESS, tid)` applies to one thread, and the thread's id
 * is readable from /proc/thread-self. Elsewhere the call would change the whole process, the
 * app included, so nothing is done.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Raises the calling thread's nice value by `increment` (capped at 19); false when not done. */
export function lowerThreadPriority(increment: number): boolean {
  if (increment <= 0 || process.platform !== 'linux') return false;
  try {
    const tid = Number(lastSegment(fs.readlinkSync('/proc/thread-self')));
    if (!Number.isInteger(tid) || tid <= 0) return false;
    os.setPriority(tid, Math.min(19, os.getPriority(tid) + increment));
    return true;
  } catch {
    return false;
  }
}

/**
 * New threads inherit the nice value of the thread that creates them, and libuv creates its
 * shared thread pool (file system, DNS, zlib, crypto) on first use, from whichever thread
 * that is. Touching the pool from the app's thread first keeps a lowered export thread from
 * creating it, which would slow the app's own file and DNS work.
 */
export function startThreadPoolHere(): void {
  fs.stat(__filename, () => {});
}

function lastSegment(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
