import * as path from 'node:path';
import type { Command } from 'commander';
import type { Job, JobStatus, Priority, SubmitOptions } from '../../client';
import { isFinished } from '../../client';
import { JOB_STATUSES } from '../../lambdas/core/job-status';
import { PRIORITIES } from '../../lambdas/core/priority';
import { action, clientFor, connectionFor, globalsOf, type RunState, wholeNumber } from '../command-kit';
import type { CliClient, CliContext } from '../context';
import { CliError, EXIT, exitCodeOf } from '../exit-codes';
import { barView, endLine, followJob, lineView } from '../follow';
import { formatJob, formatTable, itemsText, json, progressText, statusText } from '../output';

const PRIORITY_NAMES: readonly string[] = PRIORITIES;
const STATUSES: readonly string[] = JOB_STATUSES;

/** `--priority high` or `--priority 15` (1–20). */
export const parsePriority = (text: string): Priority | number => {
  if (PRIORITY_NAMES.includes(text)) return text as Priority;
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 20) return Number(text);
  throw new CliError(`--priority must be critical, high, normal, low or 1 to 20, got "${text}".`);
};

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `--delay 90`, `90s`, `5m`, `2h` or `1d` → seconds. */
export const parseDelay = (text: string): number => {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match)
    throw new CliError(`--delay must be seconds or a number with s, m, h or d (e.g. 90, 5m), got "${text}".`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
};

const parseStatus = (text: string): JobStatus => {
  if (!STATUSES.includes(text))
    throw new CliError(`--status must be one of ${STATUSES.join(', ')}, got "${text}".`);
  return text as JobStatus;
};

/** `--payload '{"a":1}'` or `--payload @file.json`: a JSON object. */
export const readPayload = async (ctx: CliContext, text: string): Promise<Record<string, unknown>> => {
  let source = text;
  if (text.startsWith('@')) {
    const file = path.resolve(ctx.cwd, text.slice(1));
    try {
      source = new TextDecoder().decode(await ctx.readFile(file));
    } catch (error) {
      throw new CliError(`Cannot read the payload file ${file}: ${(error as Error).message}`);
    }
  }
  let payload: unknown;
  try {
    payload = JSON.parse(source);
  } catch (error) {
    throw new CliError(`--payload is not valid JSON: ${(error as Error).message}`);
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new CliError('--payload must be a JSON object.');
  }
  return payload as Record<string, unknown>;
};

/**
 * Follows a job to its end on the terminal: a live bar for a person, a line per change in
 * a pipe, nothing but the final JSON with --json. Exit code by how the job ended.
 */
const watchToEnd = async (
  ctx: CliContext,
  client: CliClient,
  jobId: string,
  asJson: boolean,
  live: boolean,
) => {
  const view = asJson
    ? undefined
    : ctx.stdout.isTTY
      ? barView(ctx.stdout, ctx.stdoutStream)
      : lineView(ctx.stdout);
  const job = await followJob(client, jobId, view, { live, signal: ctx.interrupt });
  if (!job) {
    ctx.stderr.write(`Stopped watching ${jobId}; the job goes on (jobqueue watch ${jobId}).\n`);
    return EXIT.interrupted;
  }
  ctx.stdout.write(asJson ? json(job) : endLine(ctx.stdout, job));
  return exitCodeOf(job.status);
};

const jobRow = (ctx: CliContext, job: Job): string[] => [
  job.jobId,
  job.type,
  statusText(ctx.stdout, job.status),
  job.priority,
  [progressText(job.progress), itemsText(job.items)].filter(Boolean).join(' · '),
  job.createdAt.replace('T', ' ').slice(0, 19),
];

export const registerJobCommands = (program: Command, ctx: CliContext, state: RunState): void => {
  program
    .command('submit')
    .description('submit a job; with --watch, show its progress until it ends')
    .argument('<type>', 'job type, e.g. system.simulate')
    .option('-p, --payload <json|@file>', 'payload: JSON text or @file.json', '{}')
    .option(
      '--priority <priority>',
      'critical, high, normal, low or 1–20 (default: the type’s)',
      parsePriority,
    )
    .option('--delay <duration>', 'run after this long: seconds, or 90s, 5m, 2h, 1d', parseDelay)
    .option(
      '--max-attempts <n>',
      'attempts before the job fails (1–25)',
      wholeNumber('--max-attempts', 1, 25),
    )
    .option('--idempotency-key <key>', 'the same key and body within 24 h returns the first job')
    .option('--correlation-id <id>', 'echoed everywhere, logged')
    .option('-w, --watch', 'show live progress until the job ends; exit code by its outcome')
    .addHelpText(
      'after',
      '\nExit codes with --watch: 0 completed, 3 failed, 4 cancelled, 1 API error, 2 usage, 130 interrupted.',
    )
    .action(
      action(state, async (type: string, options, command: Command) => {
        const { json: asJson } = globalsOf(command);
        const connection = connectionFor(ctx, command);
        const client = ctx.createClient(connection);
        const submitOptions: SubmitOptions = {
          ...(options.priority === undefined ? {} : { priority: options.priority }),
          ...(options.delay === undefined ? {} : { delaySeconds: options.delay }),
          ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
          ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
          ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
        };
        const job = await client.submit(type, await readPayload(ctx, options.payload), submitOptions);
        if (!options.watch) {
          ctx.stdout.write(asJson ? json(job) : `${job.jobId} ${statusText(ctx.stdout, job.status)}\n`);
          return EXIT.ok;
        }
        if (!asJson) ctx.stdout.write(`${job.jobId} ${job.type} submitted (${job.status})\n`);
        return watchToEnd(ctx, client, job.jobId, Boolean(asJson), Boolean(connection.webSocketUrl));
      }),
    );

  program
    .command('watch')
    .description('show a job’s live progress until it ends (exit 0 completed, 3 failed, 4 cancelled)')
    .argument('<jobId>')
    .action(
      action(state, async (jobId: string, _options, command: Command) => {
        const connection = connectionFor(ctx, command);
        const client = ctx.createClient(connection);
        const asJson = Boolean(globalsOf(command).json);
        return watchToEnd(ctx, client, jobId, asJson, Boolean(connection.webSocketUrl));
      }),
    );

  program
    .command('ls')
    .description('list jobs, newest first')
    .option('--status <status>', `only jobs of this status (${STATUSES.join(', ')})`, parseStatus)
    .option('--type <type>', 'only jobs of this type')
    .option('--all-users', 'every user’s jobs (admins)')
    .option('-n, --limit <n>', 'at most this many jobs', wholeNumber('--limit', 1, 10_000), 20)
    .action(
      action(state, async (options, command: Command) => {
        const client = clientFor(ctx, command);
        const filters = {
          ...(options.status ? { status: options.status as JobStatus } : {}),
          ...(options.type ? { type: options.type as string } : {}),
        };
        const limit: number = options.limit;
        const jobs: Job[] = [];
        let cursor: string | undefined;
        do {
          const pageFilters = { ...filters, limit: Math.min(100, limit - jobs.length) };
          const page = options.allUsers
            ? await client.adminJobsPage(pageFilters, cursor)
            : await client.listPage(pageFilters, cursor);
          jobs.push(...page.jobs);
          cursor = page.nextCursor ?? undefined;
        } while (cursor && jobs.length < limit);
        if (globalsOf(command).json) {
          ctx.stdout.write(json(jobs.slice(0, limit)));
          return EXIT.ok;
        }
        if (jobs.length === 0) {
          ctx.stdout.write('No jobs.\n');
          return EXIT.ok;
        }
        ctx.stdout.write(
          formatTable(
            ['JOB', 'TYPE', 'STATUS', 'PRIORITY', 'PROGRESS', 'CREATED (UTC)'],
            jobs.slice(0, limit).map((job) => jobRow(ctx, job)),
          ),
        );
        return EXIT.ok;
      }),
    );

  program
    .command('show')
    .description('show a job, optionally with its transitions and bulk items')
    .argument('<jobId>')
    .option('--events', 'its transitions, oldest first')
    .option('--items', 'the items of a bulk job')
    .action(
      action(state, async (jobId: string, options, command: Command) => {
        const client = clientFor(ctx, command);
        const job = await client.get(jobId);
        const events = options.events ? await client.events(jobId) : undefined;
        const items = [];
        if (options.items) for await (const item of client.items(jobId)) items.push(item);
        if (globalsOf(command).json) {
          ctx.stdout.write(json({ job, ...(events ? { events } : {}), ...(options.items ? { items } : {}) }));
          return EXIT.ok;
        }
        ctx.stdout.write(formatJob(ctx.stdout, job));
        if (events) {
          ctx.stdout.write('\nevents:\n');
          ctx.stdout.write(
            formatTable(
              ['AT', 'FROM', 'TO', 'ATTEMPT', 'ERROR'],
              events.map((event) => [
                event.at,
                event.from ?? '-',
                statusText(ctx.stdout, event.to),
                String(event.attempt),
                event.error ? `${event.error.code}: ${event.error.message}` : '',
              ]),
            ),
          );
        }
        if (options.items) {
          ctx.stdout.write('\nitems:\n');
          ctx.stdout.write(
            items.length === 0
              ? 'No items.\n'
              : formatTable(
                  ['INDEX', 'STATUS', 'RESULT'],
                  items.map((item) => [
                    String(item.index),
                    statusText(ctx.stdout, item.status),
                    item.error
                      ? `${item.error.code}: ${item.error.message}`
                      : item.result === undefined
                        ? ''
                        : JSON.stringify(item.result).slice(0, 80),
                  ]),
                ),
          );
        }
        return EXIT.ok;
      }),
    );

  for (const [name, description] of [
    ['cancel', 'cancel a job (a running one stops at its next progress write)'],
    ['retry', 'queue a failed or cancelled job again from attempt 1'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<jobId>')
      .action(
        action(state, async (jobId: string, _options, command: Command) => {
          const client = clientFor(ctx, command);
          const job = name === 'cancel' ? await client.cancel(jobId) : await client.retry(jobId);
          if (globalsOf(command).json) ctx.stdout.write(json(job));
          else {
            const note =
              job.cancelRequested && !isFinished(job) ? ' (cancel requested; it stops shortly)' : '';
            ctx.stdout.write(`${job.jobId} ${statusText(ctx.stdout, job.status)}${note}\n`);
          }
          return EXIT.ok;
        }),
      );
  }
};
