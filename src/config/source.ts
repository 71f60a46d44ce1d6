import * as fs from 'node:fs';
import { ConfigError } from './errors';

export type ConfigOrigin = 'env' | 'file' | 'default';

export interface ConfigValue {
  value: string | undefined;
  origin: ConfigOrigin;
}

/**
 * What is wrong with a config file, without its text: V8's JSON.parse messages quote the text
 * around the error (`Unexpected token 'M', ..."PASSWORD": Mk7-pw-ab"... is not valid JSON`),
 * which may be part of a password. Only messages that give a position and quote no text pass.
 */
function jsonProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof SyntaxError)) return (err as NodeJS.ErrnoException).code ?? 'unreadable';
  if (/ in JSON at position \d+/.test(message) && !message.includes('"')) return message;
  const pos = / at position (\d+)/.exec(message);
  return pos ? `syntax error at position ${pos[1]}` : 'syntax error';
}

/**
 * Where configuration comes from: the environment, then an optional JSON file named by
 * `AGENTOPS_CONFIG` whose keys are the same variable names (`{"AGENTOPS_PG_URL": "..."}`).
 * The environment wins. Every lookup is remembered so `doctor` can show what was read and from where.
 */
export class ConfigSource {
  private readonly file: Record<string, string>;
  readonly read = new Map<string, ConfigValue>();
  /** Problems found while loading the file itself; the file is then ignored. */
  readonly fileErrors: ConfigError[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    fileValues?: Record<string, string>,
  ) {
    this.file = fileValues ?? this.loadFile();
  }

  get(name: string): string | undefined {
    return this.lookup(name).value;
  }

  lookup(name: string): ConfigValue {
    const cached = this.read.get(name);
    if (cached) return cached;
    let result: ConfigValue;
    const fromEnv = this.env[name];
    if (fromEnv !== undefined && fromEnv !== '') result = { value: fromEnv, origin: 'env' };
    else if (this.file[name] !== undefined) result = { value: this.file[name], origin: 'file' };
    else result = { value: undefined, origin: 'default' };
    this.read.set(name, result);
    return result;
  }

  private loadFile(): Record<string, string> {
    const path = this.env.AGENTOPS_CONFIG;
    if (path === undefined || path === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `file ${path} does not exist` : `file ${path} is not valid JSON (${jsonProblem(err)})`;
      this.fileErrors.push(new ConfigError('AGENTOPS_CONFIG', why, 'the path of a JSON object of variable names to values'));
      return {};
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.fileErrors.push(new ConfigError('AGENTOPS_CONFIG', `file ${path} does not hold a JSON object`, 'a JSON object such as {"AGENTOPS_PG_URL": "postgres://..."}'));
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else if (Array.isArray(v)) out[k] = v.map(String).join(',');
      else this.fileErrors.push(new ConfigError(`AGENTOPS_CONFIG (${k})`, 'value is not a string, number, boolean or list', 'a scalar value'));
    }
    return out;
  }
}
