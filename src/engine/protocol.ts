/**
 * What the app's thread and the export worker say to each other. Spans and drain requests go
 * down the worker's port; drain answers and counters come back on a second port that the app's
 * thread can read synchronously (receiveMessageOnPort) while it blocks at exit. Progress that
 * must be seen without any message, even while blocked, sits in a small shared Int32Array.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DestinationsConfig, DrainReport, StatsReport } from './core';
import type { WireDefinitions } from './wire';

/** Indexes into the shared Int32Array. */
export const SLOT = {
  /** 0 while starting, 1 once the destinations are built, -1 if that failed. */
  READY: 0,
  /** Spans the worker has taken in, modulo 2^32. */
  CONSUMED: 1,
  /** Sequence number of the last drain the worker finished. */
  DRAINED: 2,
  /** Bumped whenever the worker finishes a piece of work: a drain past its deadline is still moving. */
  PROGRESS: 3,
  /** Spans the app's thread has handed over, modulo 2^32: the worker sees how far behind it is. */
  HANDED_OFF: 4,
} as const;
export const SLOT_COUNT = 5;

export { ENGINE_THREAD_MARK } from '../shared/loader-thread';

export interface WorkerInit {
  destinations: DestinationsConfig;
  /** Nice increment the worker applies to its own thread. */
  nice: number;
  logLevel: string;
  /** Values the worker's logger must mask (the redaction registry is per thread). */
  secrets: string[];
  shared: SharedArrayBuffer;
  reports: MessagePort;
  statsIntervalMs: number;
}

/** `bytes`: one batch of `count` spans (batch-codec.ts). */
export type ToWorker = { type: 'spans'; bytes: Uint8Array; count: number; defs?: WireDefinitions } | { type: 'drain'; seq: number; deadline: number; final: boolean };

export type FromWorker = { type: 'stats'; stats: StatsReport } | { type: 'drained'; seq: number; report: DrainReport; stats: StatsReport };
