import type { Command } from 'commander';
import { action, clientFor, globalsOf, type RunState } from '../command-kit';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { durationText, formatTable, json } from '../output';

const day = (name: string) => (text: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
    throw new CliError(`${name} must be a UTC date YYYY-MM-DD, got "${text}".`);
  return text;
};

export const registerStatsCommand = (program: Command, ctx: CliContext, state: RunState): void => {
  program
    .command('stats')
    .description('jobs submitted, completed, failed, cancelled per type (yours; admins: everyone’s)')
    .option('--from <date>', 'first UTC day, YYYY-MM-DD (default today)', day('--from'))
    .option('--to <date>', 'last UTC day, YYYY-MM-DD (default today)', day('--to'))
    .action(
      action(state, async (options, command: Command) => {
        const stats = await clientFor(ctx, command).stats({
          ...(options.from ? { from: options.from } : {}),
          ...(options.to ? { to: options.to } : {}),
        });
        if (globalsOf(command).json) {
          ctx.stdout.write(json(stats));
          return EXIT.ok;
        }
        const { totals } = stats;
        ctx.stdout.write(
          `${stats.window.from} to ${stats.window.to}: ${totals.submitted} submitted, ${totals.completed} completed, ` +
            `${totals.failed} failed, ${totals.cancelled} cancelled\n\n`,
        );
        const types = Object.entries(stats.byType).sort(([a], [b]) => a.localeCompare(b));
        ctx.stdout.write(
          types.length === 0
            ? 'No jobs in this window.\n'
            : formatTable(
                ['TYPE', 'SUBMITTED', 'COMPLETED', 'FAILED', 'CANCELLED', 'AVG DURATION'],
                types.map(([type, summary]) => [
                  type,
                  String(summary.submitted),
                  String(summary.completed),
                  String(summary.failed),
                  String(summary.cancelled),
                  summary.avgDurationMs === null ? '-' : durationText(summary.avgDurationMs),
                ]),
              ),
        );
        return EXIT.ok;
      }),
    );
};
