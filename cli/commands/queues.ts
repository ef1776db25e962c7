import type { Command } from 'commander';
import type { Priority, QueueEntry } from '../../client';
import { action, clientFor, globalsOf, type RunState, wholeNumber } from '../command-kit';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { formatTable, json, paint } from '../output';

const PRIORITIES: readonly string[] = ['critical', 'high', 'normal', 'low'];

const parsePriority = (text: string): Priority => {
  if (!PRIORITIES.includes(text))
    throw new CliError(`<priority> must be one of ${PRIORITIES.join(', ')}, got "${text}".`);
  return text as Priority;
};

const queueTable = (ctx: CliContext, queues: readonly QueueEntry[]) =>
  formatTable(
    ['PRIORITY', 'STATE', 'WAITING', 'IN FLIGHT', 'DELAYED', 'DLQ'],
    queues.map((queue) => [
      queue.priority,
      queue.paused ? paint(ctx.stdout, 'yellow', 'paused') : 'running',
      String(queue.waiting),
      String(queue.inFlight),
      String(queue.delayed),
      queue.dlq > 0 ? paint(ctx.stdout, 'red', String(queue.dlq)) : '0',
    ]),
  );

/** queues, pause, resume, dlq peek|redrive|purge: the admin routes of the priority queues. */
export const registerQueueCommands = (program: Command, ctx: CliContext, state: RunState): void => {
  program
    .command('queues')
    .description('each priority queue: paused or running, depth, in flight, delayed, dead letters (admins)')
    .action(
      action(state, async (_options, command: Command) => {
        const queues = await clientFor(ctx, command).queues();
        ctx.stdout.write(globalsOf(command).json ? json(queues) : queueTable(ctx, queues));
        return EXIT.ok;
      }),
    );

  for (const [name, description] of [
    ['pause', 'stop taking jobs from a priority’s queue; they wait, nothing is lost (admins)'],
    ['resume', 'take jobs from a paused queue again (admins)'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<priority>', PRIORITIES.join(' | '), parsePriority)
      .action(
        action(state, async (priority: Priority, _options, command: Command) => {
          const client = clientFor(ctx, command);
          const queue =
            name === 'pause' ? await client.pauseQueue(priority) : await client.resumeQueue(priority);
          ctx.stdout.write(globalsOf(command).json ? json(queue) : queueTable(ctx, [queue]));
          return EXIT.ok;
        }),
      );
  }

  const dlq = program.command('dlq').description('dead-letter queues (admins): peek, redrive, purge');
  dlq
    .command('peek')
    .description('list dead letters without removing them')
    .argument('<priority>', PRIORITIES.join(' | '), parsePriority)
    .option('-n, --limit <n>', 'at most this many (1–100)', wholeNumber('--limit', 1, 100), 10)
    .action(
      action(state, async (priority: Priority, options, command: Command) => {
        const messages = await clientFor(ctx, command).dlq.peek(priority, { limit: options.limit });
        if (globalsOf(command).json) ctx.stdout.write(json(messages));
        else if (messages.length === 0) ctx.stdout.write(`The ${priority} dead-letter queue is empty.\n`);
        else
          ctx.stdout.write(
            formatTable(
              ['JOB', 'RECEIVES', 'SENT'],
              messages.map((message) => [
                message.jobId ?? '(not a job)',
                String(message.receiveCount),
                message.sentAt,
              ]),
            ),
          );
        return EXIT.ok;
      }),
    );
  dlq
    .command('redrive')
    .description('move dead letters back to their queue to run again')
    .argument('<priority>', PRIORITIES.join(' | '), parsePriority)
    .action(
      action(state, async (priority: Priority, _options, command: Command) => {
        const moved = await clientFor(ctx, command).dlq.redrive(priority);
        ctx.stdout.write(
          globalsOf(command).json ? json(moved) : `Moved ${moved.moved} back to the ${priority} queue.\n`,
        );
        return EXIT.ok;
      }),
    );
  dlq
    .command('purge')
    .description('delete dead letters; their waiting jobs end with error PURGED')
    .argument('<priority>', PRIORITIES.join(' | '), parsePriority)
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(state, async (priority: Priority, options, command: Command) => {
        const client = clientFor(ctx, command);
        if (
          !options.yes &&
          !(await ctx.confirm(`Delete every dead letter of the ${priority} queue? [y/N] `))
        ) {
          throw new CliError('Nothing purged (confirm with y, or pass --yes).');
        }
        const purged = await client.dlq.purge(priority);
        ctx.stdout.write(
          globalsOf(command).json
            ? json(purged)
            : `Purged ${purged.purged} from the ${priority} dead-letter queue.\n`,
        );
        return EXIT.ok;
      }),
    );
};
