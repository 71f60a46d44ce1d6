/**
 * Entry point of the export worker thread: encoding, batching, sending, retrying, spooling and
 * replaying all happen here, on the worker's own event loop, never on the app's.
 */
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parseLogLevel, logger } from '../shared/logger';
import { registerSecret } from '../shared/redact';
import { stats } from '../shared/stats';
import { EngineCore, createDestinations, overflowTargets, type StatsReport } from './core';
import { lowerThreadPriority } from './thread-priority';
import { SLOT, type FromWorker, type ToWorker, type WorkerInit } from './protocol';

const init = workerData as WorkerInit;
const shared = new Int32Array(init.shared);
// stderr of a worker is relayed through the app's thread, which may be blocked or gone by the
// time a line is written; fd 2 is the same file for every thread, and this write is immediate.
logger.setWriter((line) => fs.writeSync(2, line));
logger.level = parseLogLevel(init.logLevel) ?? 'info';
for (const s of init.secrets) registerSecret(s);
if (init.nice > 0 && !lowerThreadPriority(init.nice)) logger.debug('the export thread runs at the same priority as the app (not lowered on this platform)');

let core: EngineCore;
try {
  // Fault injection for the fallback test: an export thread that cannot start.
  if (process.env.__AGENTOPS_OTEL_TEST_WORKER_FAILURE === 'start') throw new Error('export thread start-up failure injected by __AGENTOPS_OTEL_TEST_WORKER_FAILURE');
  const destinations = createDestinations(init.destinations);
  core = new EngineCore(destinations, overflowTargets(init.destinations, destinations), init.destinations.prices);
  Atomics.store(shared, SLOT.READY, 1);
} catch (err) {
  logger.error('the export thread could not start its exporters', { error: err });
  Atomics.store(shared, SLOT.READY, -1);
  Atomics.notify(shared, SLOT.READY);
  throw err;
}
Atomics.notify(shared, SLOT.READY);

const MAX_LATENCY_SAMPLES = 2000;
let latencies: Array<[string, number]> = [];
stats.onLatency = (exporter, ms) => {
  if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push([exporter, ms]);
};
const statsReport = (): StatsReport => {
  const taken = latencies;
  latencies = [];
  return { exporters: core.counters(), latencies: taken };
};
const report = (m: FromWorker): void => init.reports.postMessage(m);
// Every export, spool write or replay reports progress: the app's thread keeps waiting at exit
// for a worker that is still writing its backlog to disk, and only for that.
const progress = (): void => void Atomics.add(shared, SLOT.PROGRESS, 1);
stats.onProgress = progress;

/**
 * Past this many spans waiting behind a batch, the batch goes to the overflow spool as it is:
 * taking it in costs a memory copy, so the app never waits for encoding the worker can do later.
 */
const SPILL_BACKLOG_SPANS = Number(process.env.__AGENTOPS_OTEL_TEST_SPILL_BACKLOG ?? '') || 4096;
const OVERFLOW_REPLAY_MS = 100;
// The worker alone moves CONSUMED: its own count, and the app's thread's view of it.
const backlog = (): number => (Atomics.load(shared, SLOT.HANDED_OFF) - Atomics.load(shared, SLOT.CONSUMED)) | 0;

parentPort!.on('message', (m: ToWorker) => {
  if (m.type === 'spans') {
    try {
      core.intakeBatch(m.bytes, m.count, m.defs, backlog() - m.count > SPILL_BACKLOG_SPANS);
    } finally {
      progress();
      Atomics.add(shared, SLOT.CONSUMED, m.count);
      Atomics.notify(shared, SLOT.CONSUMED);
    }
    return;
  }
  // While a drain runs the event loop is alive and the drain's own deadlines bound it: beat, so
  // that a worker slowed by a busy machine is waited for rather than cut off with spans in hand.
  const beat = setInterval(progress, 100);
  void core
    .drain(m.deadline, m.final)
    .catch(() => ({ spoolHasWork: true }))
    .then((r) => {
      clearInterval(beat);
      report({ type: 'drained', seq: m.seq, report: r, stats: statsReport() });
      Atomics.store(shared, SLOT.DRAINED, m.seq);
      Atomics.notify(shared, SLOT.DRAINED);
    });
});

setInterval(() => report({ type: 'stats', stats: statsReport() }), init.statsIntervalMs).unref();
// Overflow files go back to the destinations while the worker keeps up with the app again.
setInterval(() => {
  if (backlog() <= SPILL_BACKLOG_SPANS / 2) void core.replayOverflow();
}, OVERFLOW_REPLAY_MS).unref();
