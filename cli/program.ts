import { Command, CommanderError } from 'commander';
import { JobQueueApiError, JobQueueError } from '../client';
import type { RunState } from './command-kit';
import { registerAlarmsCommand } from './commands/alarms';
import { registerJobCommands } from './commands/jobs';
import { registerTokenCommand } from './commands/local-token';
import { registerQueueCommands } from './commands/queues';
import { registerStatsCommand } from './commands/stats';
import { registerUploadCommand } from './commands/upload';
import type { CliContext } from './context';
import { CliError, EXIT } from './exit-codes';

export const buildProgram = (ctx: CliContext, state: RunState): Command => {
  const program = new Command('jobqueue')
    .description('Submit, watch and manage jobs of a jobqueue stack (local or in AWS).')
    .option('--url <url>', 'HTTP API URL (env JOBQUEUE_URL; default: .local/stack.json of npm start)')
    .option('--ws-url <url>', 'WebSocket URL (env JOBQUEUE_WS_URL; default: .local/stack.json)')
    .option('--token <jwt>', 'bearer token (env JOBQUEUE_TOKEN; locally: jobqueue token <user>)')
    .option('--json', 'machine output only: one JSON document on stdout, no bars or colours')
    .version(ctx.version, '-V, --version')
    // Set before the commands: each subcommand inherits both.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) => write(text),
    })
    .showHelpAfterError('(add --help for usage)');
  registerJobCommands(program, ctx, state);
  registerStatsCommand(program, ctx, state);
  registerQueueCommands(program, ctx, state);
  registerAlarmsCommand(program, ctx, state);
  registerUploadCommand(program, ctx, state);
  registerTokenCommand(program, ctx, state);
  return program;
};

const fieldLines = (details: unknown): string[] => {
  const fields = (details as { fields?: { field?: unknown; message?: unknown }[] } | undefined)?.fields;
  return Array.isArray(fields)
    ? fields.map((issue) => `  ${String(issue.field)}: ${String(issue.message)}`)
    : [];
};

/** An error as the user reads it on stderr (the contract's message and code; never a stack), and its exit code. */
export const reportError = (ctx: CliContext, error: unknown): number => {
  if (error instanceof CommanderError) {
    // Commander printed its message already; help and version are not failures.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    ctx.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof JobQueueApiError) {
    const lines = [
      `error: ${error.message} (${error.code}, HTTP ${error.status})`,
      ...fieldLines(error.details),
    ];
    if (error.retryAfterSeconds !== undefined) lines.push(`  retry after ${error.retryAfterSeconds} s`);
    const status = (error.details as { status?: unknown } | undefined)?.status;
    if (error.code === 'INVALID_STATE' && typeof status === 'string') lines.push(`  the job is ${status}`);
    ctx.stderr.write(`${lines.join('\n')}\n`);
    return EXIT.error;
  }
  if (error instanceof JobQueueError) {
    ctx.stderr.write(`error: ${error.message} (${error.code})\n`);
    return EXIT.error;
  }
  ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.error;
};

/** Runs the CLI on `argv` (without node and script) and returns its exit code. */
export const runCli = async (argv: readonly string[], ctx: CliContext): Promise<number> => {
  const state: RunState = { exitCode: EXIT.ok };
  try {
    await buildProgram(ctx, state).parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    return reportError(ctx, error);
  }
};
