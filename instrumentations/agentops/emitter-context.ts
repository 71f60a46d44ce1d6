/**
 * EventEmitter listeners run in the context of whoever calls `emit()`, not of whoever
 * registered them, so an event recorded in a listener would lose its agent. While an agent or
 * session scope is current, listeners registered with on/addListener/prependListener/once/
 * prependOnceListener are bound to the registering context.
 *
 * Removal keeps working because Node matches a listener by identity or by its `.listener`
 * property (the mechanism `once` itself uses): each wrapper carries the original there, and
 * `listeners()` returns the originals. Outside an agent scope nothing is wrapped.
 */
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';

type Listener = ((...args: unknown[]) => unknown) & { listener?: unknown };
type Register = (this: EventEmitter, type: string | symbol, listener: Listener) => EventEmitter;

const proto = EventEmitter.prototype as unknown as Record<string, Register>;
const ORIGINALS = Symbol.for('agentops-otel.emitter-originals');
type Patched = { [ORIGINALS]?: Record<string, Register> };

function bound(listener: Listener): Listener {
  const resource = new AsyncResource('agentops-otel.listener');
  const wrapper: Listener = function (this: unknown, ...args: unknown[]) {
    return resource.runInAsyncScope(listener, this, ...args);
  };
  wrapper.listener = listener;
  return wrapper;
}

export function bindEmitterListeners(inScope: () => boolean): void {
  const slot = EventEmitter.prototype as unknown as Patched;
  if (slot[ORIGINALS] !== undefined) return;
  const orig: Record<string, Register> = {
    on: proto.on,
    addListener: proto.addListener,
    prependListener: proto.prependListener,
    once: proto.once,
    prependOnceListener: proto.prependOnceListener,
  };
  slot[ORIGINALS] = orig;

  const persistent = (name: 'on' | 'addListener' | 'prependListener'): Register =>
    function (this: EventEmitter, type, listener) {
      // A function with `.listener` is someone's once-wrapper that removes itself by identity: leave it as it is.
      if (typeof listener !== 'function' || listener.listener !== undefined || !inScope()) return orig[name].call(this, type, listener);
      return orig[name].call(this, type, bound(listener));
    };

  const oneShot = (name: 'once' | 'prependOnceListener', add: 'on' | 'prependListener'): Register =>
    function (this: EventEmitter, type, listener) {
      if (typeof listener !== 'function' || !inScope()) return orig[name].call(this, type, listener);
      const emitter = this;
      const call = bound(listener);
      let fired = false;
      const wrapper: Listener = function (this: unknown, ...args: unknown[]) {
        if (fired) return undefined;
        fired = true;
        emitter.removeListener(type, wrapper);
        return call.apply(this, args);
      };
      wrapper.listener = listener;
      return orig[add].call(this, type, wrapper);
    };

  proto.on = persistent('on');
  proto.addListener = persistent('addListener');
  proto.prependListener = persistent('prependListener');
  proto.once = oneShot('once', 'on');
  proto.prependOnceListener = oneShot('prependOnceListener', 'prependListener');
}

export function unbindEmitterListeners(): void {
  const slot = EventEmitter.prototype as unknown as Patched;
  const orig = slot[ORIGINALS];
  if (orig === undefined) return;
  Object.assign(proto, orig);
  delete slot[ORIGINALS];
}
