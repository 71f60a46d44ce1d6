// The loader hook the preload registers for ESM: import-in-the-middle's, through
// @opentelemetry/instrumentation's `hook.mjs` (the copy InstrumentationBase's `Hook` calls talk to).
// Node 20 can call `initialize` twice when the hook is registered before its ESM loader exists (a
// `--require` preload); import-in-the-middle then prints a warning on the app's stderr. The second
// call brings the same options, so it is skipped here.
// @ts-expect-error -- the hook module ships no type declarations
import { initialize as iitmInitialize, load, resolve } from '@opentelemetry/instrumentation/hook.mjs';

let initialized = false;

export async function initialize(data: unknown): Promise<void> {
  if (initialized) return;
  initialized = true;
  await (iitmInitialize as (d: unknown) => Promise<void>)(data);
}

export { load, resolve };
