import { redactSecrets } from '../shared/redact';

/**
 * A configuration value that cannot be used. The message names the variable, what is wrong
 * with the value and the form that is expected, on one line, with secrets masked.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly problem: string,
    readonly expected: string,
  ) {
    super(redactSecrets(`${variable}: ${problem}; expected ${expected}`));
  }
}
