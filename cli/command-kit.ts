import type { Command } from 'commander';
import type { CliClient, CliContext } from './context';
import { CliError, EXIT } from './exit-codes';
import { type Connection, type ConnectionOptions, localDirectory, resolveConnection } from './settings';

/** Options every command accepts (declared on the program). */
export interface GlobalOptions extends ConnectionOptions {
  readonly json?: boolean;
}

/** What an action returns: its exit code (undefined: 0). */
export type ActionResult = number | undefined;

/** Where the program keeps the exit code its action chose. */
export interface RunState {
  exitCode: number;
}

export const globalsOf = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

export const connectionFor = (ctx: CliContext, command: Command): Connection =>
  resolveConnection(globalsOf(command), ctx.env, localDirectory(ctx.env, ctx.cwd, ctx.home));

export const clientFor = (ctx: CliContext, command: Command): CliClient =>
  ctx.createClient(connectionFor(ctx, command));

/** Wraps an action so its exit code reaches the program (commander ignores return values). */
export const action =
  <Args extends unknown[]>(state: RunState, run: (...args: Args) => Promise<ActionResult>) =>
  async (...args: Args) => {
    state.exitCode = (await run(...args)) ?? EXIT.ok;
  };

/** An option value as a whole number within [min, max], or a usage error naming the option. */
export const wholeNumber =
  (name: string, min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new CliError(`${name} must be a whole number from ${min} to ${max}, got "${text}".`);
    }
    return value;
  };
