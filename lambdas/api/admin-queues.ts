import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import type { DeadLetter, QueueEntry } from '../core/contract';
import { ForbiddenError, NotFoundError } from '../core/errors';
import { jobMessageSchema } from '../core/job-message';
import { isPriority, PRIORITIES, type Priority } from '../core/priority';
import { queueDepth } from '../core/queue-depth';
import type { User } from '../core/user';
import { limitParam, parseOrThrow } from '../core/validation';
import type { ApiDependencies } from './dependencies';

export type { QueueEntry };

/** Most dead letters one redrive or purge request moves; call again for more. */
const MAX_MESSAGES_PER_REQUEST = 1000;
/** Stop moving before the API function's own 29 s deadline. */
const TIME_BUDGET_MS = 20_000;
/** Messages held invisible while a peek collects them, then released at once. */
const PEEK_HOLD_SECONDS = 30;

export const requireAdmin = (user: User): void => {
  if (!user.isAdmin) throw new ForbiddenError();
};

const priorityOf = (value: string | undefined): Priority => {
  if (!isPriority(value)) throw new NotFoundError(`No queue "${value}". Queues: ${PRIORITIES.join(', ')}.`);
  return value;
};

const queueEntry = async (deps: ApiDependencies, priority: Priority): Promise<QueueEntry> => {
  const [mapping, queue, deadLetters] = await Promise.all([
    deps.lambda.send(new GetEventSourceMappingCommand({ UUID: deps.settings.eventSourceMappings[priority] })),
    queueDepth(deps.sqs, deps.settings.queueUrls[priority]),
    queueDepth(deps.sqs, deps.settings.deadLetterQueueUrls[priority]),
  ]);
  // Disabling/Disabled: no new batches are taken (those in flight still finish).
  const paused = mapping.State === 'Disabled' || mapping.State === 'Disabling';
  return { priority, paused, ...queue, dlq: deadLetters.waiting };
};

/** GET /v1/queues: every priority queue with its pause state, depth and dead letters. */
export const listQueues = async (user: User, deps: ApiDependencies) => {
  requireAdmin(user);
  return { queues: await Promise.all(PRIORITIES.map((priority) => queueEntry(deps, priority))) };
};

/**
 * POST /v1/queues/{priority}/pause|resume: disables or enables the worker's event source
 * mapping. Paused, jobs keep arriving and wait in the queue; nothing is lost.
 */
export const setQueuePaused = async (
  priorityText: string | undefined,
  paused: boolean,
  user: User,
  deps: ApiDependencies,
): Promise<QueueEntry> => {
  requireAdmin(user);
  const priority = priorityOf(priorityText);
  await deps.lambda.send(
    new UpdateEventSourceMappingCommand({
      UUID: deps.settings.eventSourceMappings[priority],
      Enabled: !paused,
    }),
  );
  return { ...(await queueEntry(deps, priority)), paused };
};

const dlqQuerySchema = z
  .object({
    limit: limitParam(100).optional(),
  })
  .strict();

const jobIdOf = (message: Message): string | null => {
  try {
    const body = JSON.parse(message.Body ?? '') as { jobId?: unknown };
    return typeof body?.jobId === 'string' ? body.jobId : null;
  } catch {
    return null;
  }
};

/** Receives up to `limit` distinct messages of `queueUrl`, holding them invisible meanwhile. */
const receiveUpTo = async (deps: ApiDependencies, queueUrl: string, limit: number, holdSeconds: number) => {
  const messages = new Map<string, Message>();
  const started = Date.now();
  while (messages.size < limit && Date.now() - started < TIME_BUDGET_MS) {
    const { Messages = [] } = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, limit - messages.size),
        VisibilityTimeout: holdSeconds,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) if (message.MessageId) messages.set(message.MessageId, message);
  }
  return [...messages.values()];
};

const inChunks = <T>(items: readonly T[], size = 10): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, index * size + size),
  );

/** GET /v1/queues/{priority}/dlq: a peek at dead letters; nothing is removed. */
export const peekDeadLetters = async (
  priorityText: string | undefined,
  query: Record<string, string | undefined>,
  user: User,
  deps: ApiDependencies,
) => {
  requireAdmin(user);
  const priority = priorityOf(priorityText);
  const { limit = 10 } = parseOrThrow(dlqQuerySchema, query, 'The query is invalid.');
  const queueUrl = deps.settings.deadLetterQueueUrls[priority];
  const messages = await receiveUpTo(deps, queueUrl, limit, PEEK_HOLD_SECONDS);
  // Put them straight back.
  await Promise.all(
    inChunks(messages).map((chunk) =>
      deps.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      ),
    ),
  );
  return {
    messages: messages.map(
      (message): DeadLetter => ({
        jobId: jobIdOf(message),
        // This peek's own receive is not counted.
        receiveCount: Math.max(Number(message.Attributes?.ApproximateReceiveCount ?? 1) - 1, 0),
        sentAt: new Date(Number(message.Attributes?.SentTimestamp ?? 0)).toISOString(),
      }),
    ),
  };
};

/**
 * A purged message was its job's only way forward: a job still waiting on it ends now,
 * with error `PURGED` — `retrying` → failed, `queued`/`delayed` → cancelled (the only
 * endings the contract allows from there). Running jobs are left to their worker and the
 * stalled-job sweep; a stale message (the job moved on) changes nothing.
 */
const endPurgedJob = async (message: Message, deps: ApiDependencies): Promise<void> => {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    return;
  }
  const parsed = jobMessageSchema.safeParse(body);
  if (!parsed.success) return;
  const job = await deps.store.get(parsed.data.jobId);
  if (!job || parsed.data.attempt !== job.attempts + 1) return;
  const to =
    job.status === 'retrying'
      ? 'failed'
      : job.status === 'queued' || job.status === 'delayed'
        ? 'cancelled'
        : undefined;
  if (!to) return;
  const at = deps.clock().toISOString();
  await deps.store.transition({
    jobId: job.jobId,
    from: [job.status],
    to,
    at,
    expectedAttempts: job.attempts,
    attempt: job.attempts,
    error: {
      code: 'PURGED',
      message: 'The job’s queue message was purged from the dead-letter queue.',
      retryable: false,
    },
    set: { completedAt: at },
    remove: ['runAt'],
  });
};

/**
 * POST /v1/queues/{priority}/dlq/redrive: moves dead letters back to their queue (send,
 * then delete: a crash in between leaves a duplicate, which the worker's claim drops,
 * never a loss). POST .../purge ends the jobs still waiting on them (`PURGED`), then
 * deletes them; a message whose job could not be ended stays for the next purge. Both
 * answer how many messages they handled.
 */
export const drainDeadLetters = async (
  priorityText: string | undefined,
  action: 'redrive' | 'purge',
  user: User,
  deps: ApiDependencies,
): Promise<{ moved: number } | { purged: number }> => {
  requireAdmin(user);
  const priority = priorityOf(priorityText);
  const deadLetterUrl = deps.settings.deadLetterQueueUrls[priority];
  const started = Date.now();
  let handled = 0;
  while (handled < MAX_MESSAGES_PER_REQUEST && Date.now() - started < TIME_BUDGET_MS) {
    const batch = await receiveUpTo(deps, deadLetterUrl, 10, 60);
    if (batch.length === 0) break;
    let done = batch;
    if (action === 'purge') {
      // End the waiting jobs first, delete their messages after: a crash in between leaves
      // the message in the DLQ (a later purge finds its job already ended and only deletes
      // it), never a job waiting for a message that no longer exists.
      const ended = await Promise.allSettled(batch.map((message) => endPurgedJob(message, deps)));
      done = batch.filter((_, index) => ended[index]?.status === 'fulfilled');
    } else {
      const sent = await deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: deps.settings.queueUrls[priority],
          Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: message.Body ?? '' })),
        }),
      );
      const failed = new Set((sent.Failed ?? []).map((entry) => Number(entry.Id)));
      done = batch.filter((_, index) => !failed.has(index));
    }
    if (done.length > 0) {
      await deps.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: deadLetterUrl,
          Entries: done.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    }
    handled += done.length;
    if (done.length < batch.length) break;
  }
  return action === 'redrive' ? { moved: handled } : { purged: handled };
};
