import type { CommandSpec, ParsedArgs } from './args';
import type { Ctx } from './context';

export interface Command {
  spec: CommandSpec;
  /** Resolves with the exit code; throws CliError (or anything: reported as a failure). */
  run(ctx: Ctx, args: ParsedArgs): Promise<number>;
}
