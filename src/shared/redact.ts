/**
 * Masks secrets before any text leaves the library (logs, errors, CLI output).
 *
 * Registered secrets (passwords, header values) are replaced wherever they occur; credentials
 * embedded in URLs (`scheme://user:password@host`) are masked by shape, so a connection string
 * is safe to print even when nobody registered its password.
 */
const secrets = new Set<string>();

export const MASK = '****';

/** Remember a value that must never be printed. Short values are ignored: masking "a" would garble text. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 4) secrets.add(value);
}

/** The registered values, to register them again in another thread. */
export function registeredSecrets(): string[] {
  return [...secrets];
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]*)@/gi;
const KEYWORD_PASSWORD = /(password=)([^\s&]+)/gi;

export function redactSecrets(text: string): string {
  let out = text.replace(URL_CREDENTIALS, `$1${MASK}@`).replace(KEYWORD_PASSWORD, `$1${MASK}`);
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(MASK);
  }
  return out;
}
