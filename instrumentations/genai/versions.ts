/**
 * Framework instrumentations hook every version of their package and check the version
 * themselves, so that one they do not support gets a warning naming it (and is left untouched)
 * instead of silently going untraced.
 */
import { logger } from '../../src/shared/logger';

export function majorOf(version: string | undefined): number | undefined {
  const m = /^(\d+)\./.exec(version ?? '');
  return m === null ? undefined : Number(m[1]);
}

/** True when `version`'s major is one of `majors`; otherwise logs one warning for this package and version. */
export function checkSupported(pkg: string, version: string | undefined, majors: readonly number[]): boolean {
  const major = majorOf(version);
  if (major !== undefined && majors.includes(major)) return true;
  logger.limited(
    'warn',
    `unsupported-version:${pkg}@${String(version)}`,
    `${pkg} ${version ?? '(unknown version)'} is not supported by agentops-otel (supported: ${majors.map((m) => `${m}.x`).join(', ')}); its calls are not traced, the app runs unchanged`,
    { package: pkg, version: version ?? 'unknown' },
  );
  return false;
}
