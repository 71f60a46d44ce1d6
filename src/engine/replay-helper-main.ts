/** Entry point of the replay helper process (see replay-helper.ts). */
import { readPriceTable } from '../config/price-table';
import { ConfigSource } from '../config/source';
import { readTelemetryConfig } from '../config/telemetry-config';
import { logger } from '../shared/logger';
import { EngineCore, createDestinations, overflowTargets } from './core';
import { readDestinationsConfig } from './destinations-config';
import { lowerThreadPriority } from './thread-priority';
import { HELPER_BUDGET_MS, REPLAY_HELPER_MARK, acquireLock, parentGone } from './replay-helper';

async function main(): Promise<void> {
  await parentGone(Number(process.env[REPLAY_HELPER_MARK]));
  const source = new ConfigSource();
  const { config, errors } = readTelemetryConfig(source);
  logger.level = config.logLevel;
  lowerThreadPriority(config.exportThreadNice);
  const destinations = readDestinationsConfig(config, source, errors, readPriceTable(source, errors));
  const deadline = Date.now() + HELPER_BUDGET_MS;
  const created = createDestinations(destinations, { autoReplay: false });
  const core = new EngineCore(created, overflowTargets(destinations, created), destinations.prices);
  try {
    for (;;) {
      const release = acquireLock(destinations);
      if (release === undefined) return;
      try {
        // The overflow spool's spans go through the destinations' queues: delivered by the drain.
        await core.drain(deadline, false);
        await Promise.all(core.destinations.map((d) => d.replayUntil(deadline)));
      } finally {
        release();
      }
      // Spools written while the lock was held were left to us by helpers that saw it taken;
      // a file another live process has claimed is waited for too.
      if (!(await core.spoolHasWork()) || Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    // Holds nothing but connections: stop without another pass over the spool.
    core.spoolAllSync();
  }
}

main()
  .catch((err: unknown) => logger.error('replay helper failed', { error: err }))
  .finally(() => process.exit(0));
