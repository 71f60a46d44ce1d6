/** Pure decisions of the v2 MCP instrumentation. */

/** 2.x releases; the pre-releases of 2.0 are not (their `Protocol` was still changing). */
export function isSupportedV2Version(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)(-.*)?$/.exec(version ?? '');
  if (m === null || Number(m[1]) !== 2) return false;
  return m[4] === undefined || Number(m[2]) > 0 || Number(m[3]) > 0;
}
