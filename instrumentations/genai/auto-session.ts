/**
 * AGENTOPS_AUTO_SESSION: what happens to LLM calls made outside any AgentOps session.
 *
 * - `off` (default): each such call is its own trace (a root span), or a child of whatever span is
 *   active (an HTTP request, an @openai/agents workflow).
 * - `process`: the preload opens one session on the process client at start-up (tagged
 *   `auto-session`); calls outside any current session are recorded in it, and the preload ends it
 *   at exit with the other open sessions (end state Indeterminate, reason "process exit").
 */
import { init, type Session } from '../../src/client';
import { ConfigError } from '../../src/config/errors';
import type { ConfigSource } from '../../src/config/source';
import { logger } from '../../src/shared/logger';

export type AutoSessionMode = 'off' | 'process';

const SLOT = Symbol.for('agentops-otel.auto-session');
type Slot = { [SLOT]?: Session };

export function readAutoSessionMode(src: ConfigSource): AutoSessionMode {
  const raw = src.get('AGENTOPS_AUTO_SESSION');
  if (raw === undefined) return 'off';
  const v = raw.trim().toLowerCase();
  if (v === 'off' || v === 'false' || v === 'none' || v === '0') return 'off';
  if (v === 'process' || v === 'true' || v === '1') return 'process';
  throw new ConfigError('AGENTOPS_AUTO_SESSION', `${JSON.stringify(raw.slice(0, 40))} is not a mode`, 'off or process');
}

/** Opens the process session when the mode says so. Call after the instrumentations are enabled. */
export function startAutoSession(mode: AutoSessionMode): Session | undefined {
  if (mode !== 'process') return undefined;
  const slot = globalThis as Slot;
  if (slot[SLOT] !== undefined && !slot[SLOT].ended) return slot[SLOT];
  try {
    const session = init().startSession({ tags: ['auto-session'] });
    Object.defineProperty(slot, SLOT, { value: session, configurable: true, writable: true, enumerable: false });
    logger.debug('opened the process session (AGENTOPS_AUTO_SESSION=process)', { sessionId: session.id });
    return session;
  } catch (err) {
    logger.warn('could not open the process session (AGENTOPS_AUTO_SESSION=process)', { error: err });
    return undefined;
  }
}

/** The process session, while it is open. */
export function autoSession(): Session | undefined {
  const s = (globalThis as Slot)[SLOT];
  return s !== undefined && !s.ended ? s : undefined;
}
