import { createHash } from 'node:crypto';
import { assertStorable } from '../core/claim-check';
import { bornWatched, ConnectionStore } from '../core/connection-store';
import type { QuotaName } from '../core/daily-quota';
import {
  AppError,
  IdempotencyConflictError,
  isStoreValidationError,
  toErrorBody,
  ValidationError,
} from '../core/errors';
import type { JobRecord, JobView } from '../core/job';
import { toJobView } from '../core/job';
import { JobQueueClient, messageForWaitingJob } from '../core/job-queue-client';
import { type CreateResult, type IdempotencyClaim } from '../core/job-store';
import { newJob } from '../core/new-job';
import { logger } from '../core/observability';
import type { Priority } from '../core/priority';
import type { User } from '../core/user';
import { findJobType } from '../jobs/registry';
import { estimatorFor } from './completion-estimate';
import type { ApiDependencies } from './dependencies';
import { viewOf } from './read-jobs';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const MAX_BATCH_SIZE = 100;

/**
 * JSON with object keys sorted, so equal bodies hash equally whatever their key order.
 * Recursive: it only ever sees a submission newJob accepted, whose stored fields are at
 * most 16 levels deep (json-bounds.ts), so callers hash only after building the job.
 */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

export const requestHash = (body: unknown): string =>
  createHash('sha256').update(canonicalJson(body)).digest('hex');

export const validateIdempotencyKey = (key: string | undefined): string | undefined => {
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new ValidationError('The Idempotency-Key header is invalid.', [
      { field: 'Idempotency-Key', message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` },
    ]);
  }
  return key;
};

export interface SubmitContext {
  readonly user: User;
  readonly requestId: string;
  readonly idempotencyKey?: string;
}

export interface SubmitOutcome {
  /** 202 for a new job, 200 for an idempotent replay. */
  readonly statusCode: 200 | 202;
  readonly job: JobView;
}

const buildJob = (body: unknown, context: SubmitContext, deps: ApiDependencies): JobRecord => {
  const job = newJob(body, {
    userId: context.user.id,
    isAdmin: context.user.isAdmin,
    now: deps.clock(),
    maxDelaySeconds: deps.settings.maxDelaySeconds,
    defaultCorrelationId: context.requestId,
  });
  assertStorable(job);
  return job;
};

const DAILY_LIMITS: Readonly<Record<QuotaName, (deps: ApiDependencies) => number>> = {
  emails: (deps) => deps.settings.emailDailyQuota,
  uploads: (deps) => deps.settings.uploadsPerDay,
  aiTokens: (deps) => deps.settings.aiDailyTokens,
};
const dailyLimit = (quota: QuotaName, deps: ApiDependencies): number => DAILY_LIMITS[quota](deps);

/**
 * Draws what `jobs` take from the caller's daily quotas (e.g. email recipients), all or
 * nothing per quota; admins are not counted.
 */
const reserveDailyQuotas = async (
  jobs: readonly JobRecord[],
  user: User,
  deps: ApiDependencies,
): Promise<void> => {
  if (user.isAdmin) return;
  const amounts = new Map<QuotaName, number>();
  for (const job of jobs) {
    const quota = findJobType(job.type)?.dailyQuota;
    if (quota) amounts.set(quota.name, (amounts.get(quota.name) ?? 0) + quota.amount(job.payload));
  }
  for (const [quota, amount] of amounts) {
    await deps.quotas.reserve(quota, user.id, amount, dailyLimit(quota, deps));
  }
};

/**
 * The answer to a submission: a new job as submitted (its payload inline, wherever it is
 * stored), or the job an Idempotency-Key already names, read back in full.
 */
const outcomeOf = async (
  result: CreateResult,
  submitted: JobRecord,
  deps: ApiDependencies,
): Promise<SubmitOutcome> => {
  if (result.outcome === 'conflict') throw new IdempotencyConflictError();
  if (result.outcome === 'created') return { statusCode: 202, job: toJobView(submitted) };
  return { statusCode: 200, job: await viewOf(result.job, deps) };
};

/** Whether the submitter watches all their jobs (a user-wide WebSocket subscription). */
const watchStore = (deps: ApiDependencies) =>
  new ConnectionStore(deps.documentClient, deps.settings.tableName, deps.clock);

/**
 * The priorities whose jobs are sent at submit. Normal and low go through the table stream:
 * measured locally (3,000 no-op jobs in batches), sending every priority at submit cut
 * throughput from 90 to 60 jobs/s — under load the save lags the send, so workers meet
 * messages before their jobs (a read and a re-send each) — while the head-of-line wait it
 * removes matters for the priorities that must not queue behind bulk work.
 */
const SEND_AT_SUBMIT_PRIORITIES: readonly Priority[] = ['critical', 'high'];

/**
 * Sends the first message of each critical or high job that may start now (queued, not delayed) before the
 * job is saved, so it is on its priority's queue the moment it is accepted, instead of
 * after its insert has gone through the table stream and the dispatcher — where a critical
 * job waited behind a flood of other jobs' inserts. Sent first, a saved job can never lack
 * its message; a save that fails leaves a message naming no job, which the worker drops
 * once the API's invocation is surely over (`sentAt`, lambdas/worker/process-message.ts).
 * A job whose message SQS refused is saved without `sentAtSubmit`: the dispatcher sends it.
 */
const sendAtSubmit = async (jobs: readonly JobRecord[], deps: ApiDependencies): Promise<JobRecord[]> => {
  const startsNow = (job: JobRecord) =>
    job.status === 'queued' && job.runAt === undefined && SEND_AT_SUBMIT_PRIORITIES.includes(job.priority);
  const sentAt = deps.clock().toISOString();
  const outgoing = jobs.filter(startsNow).map((job) => {
    const first = messageForWaitingJob(job);
    return { ...first, message: { ...first.message, sentAt } };
  });
  if (outgoing.length === 0) return [...jobs];
  const queue = new JobQueueClient(deps.sqs, deps.settings.queueUrls, deps.clock);
  const refused = new Set((await queue.send(outgoing)).map(({ message }) => message.jobId));
  return jobs.map((job) =>
    startsNow(job) && !refused.has(job.jobId) ? { ...job, sentAtSubmit: true } : job,
  );
};

/** Saves a validated job, its payload in S3 first when too large for the item. */
const save = async (job: JobRecord, deps: ApiDependencies, claim?: IdempotencyClaim) =>
  outcomeOf(await deps.store.create(await deps.claimCheck.prepareSubmission(job), claim), job, deps);

/**
 * POST /v1/jobs. Validates, counts against the user's rate limit (an idempotent replay
 * does not count), sends a job that may start now to its queue and saves the job (a
 * delayed one is enqueued from the table stream). Without an Idempotency-Key that is one
 * counter update, one message and one put.
 */
export const submitJob = async (
  body: unknown,
  context: SubmitContext,
  deps: ApiDependencies,
): Promise<SubmitOutcome> => {
  const job = buildJob(body, context, deps);
  let claim: IdempotencyClaim | undefined;
  if (context.idempotencyKey) {
    claim = { userId: context.user.id, key: context.idempotencyKey, requestHash: requestHash(body) };
    const earlier = await deps.store.findIdempotentJob(claim);
    if (earlier) return outcomeOf(earlier, job, deps);
  }
  await deps.limiter.reserve(context.user.id, 1);
  await reserveDailyQuotas([job], context.user, deps);
  // A bulk job answers with `estimatedCompletionAt` (cached reads: completion-estimate.ts).
  const [estimated = job] = await estimatorFor(deps).annotate([job]);
  const watched = await bornWatched([estimated], context.user.id, watchStore(deps));
  const [toSave = estimated] = await sendAtSubmit(watched, deps);
  return save(toSave, deps, claim);
};

type BatchEntry =
  | { readonly job: JobView }
  | { readonly error: ReturnType<typeof toErrorBody>['body']['error'] };

/**
 * POST /v1/jobs/batch: up to 100 submissions, each validated on its own; invalid ones
 * answer with an error at their index. The valid ones are counted against the rate limit
 * together (all or nothing). With an Idempotency-Key, entry i uses the key `<key>#<i>`.
 */
export const submitBatch = async (
  body: unknown,
  context: SubmitContext,
  deps: ApiDependencies,
): Promise<{ jobs: unknown[] }> => {
  const entries = (body as { jobs?: unknown } | null)?.jobs;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_BATCH_SIZE) {
    throw new ValidationError('The batch is invalid.', [
      { field: 'jobs', message: `must be an array of 1 to ${MAX_BATCH_SIZE} job submissions` },
    ]);
  }
  const extra = Object.keys(body as object).filter((key) => key !== 'jobs');
  if (extra.length > 0) {
    throw new ValidationError(
      'The batch is invalid.',
      extra.map((field) => ({ field, message: 'unknown field' })),
    );
  }

  const results: (BatchEntry | undefined)[] = new Array(entries.length);
  const pending: { index: number; job: JobRecord; claim?: IdempotencyClaim }[] = [];
  for (const [index, entry] of entries.entries()) {
    try {
      const job = buildJob(entry, context, deps);
      const claim = context.idempotencyKey
        ? {
            userId: context.user.id,
            key: `${context.idempotencyKey}#${index}`,
            requestHash: requestHash(entry),
          }
        : undefined;
      pending.push({ index, job, claim });
    } catch (error) {
      results[index] = { error: toErrorBody(error).body.error };
    }
  }

  // Replays of an earlier identical batch entry neither count nor create anything.
  const fresh: typeof pending = [];
  for (const item of pending) {
    const earlier = item.claim ? await deps.store.findIdempotentJob(item.claim) : undefined;
    if (earlier?.outcome === 'conflict')
      results[item.index] = { error: toErrorBody(new IdempotencyConflictError()).body.error };
    else if (earlier) results[item.index] = { job: await viewOf(earlier.job, deps) };
    else fresh.push(item);
  }

  await deps.limiter.reserve(context.user.id, fresh.length);
  await reserveDailyQuotas(
    fresh.map(({ job }) => job),
    context.user,
    deps,
  );
  const reportFailure = (index: number, error: unknown) => {
    // Report per entry: the client learns exactly which jobs were accepted.
    if (isStoreValidationError(error)) logger.warn('The table refused a batch entry', { index, error });
    else if (!(error instanceof AppError)) logger.error('Could not save a batch entry', { index, error });
    results[index] = { error: toErrorBody(error).body.error };
  };
  // Jobs of a user with a user-wide WebSocket subscription are born watched.
  // Bulk entries answer with `estimatedCompletionAt` (cached reads: completion-estimate.ts).
  const estimated = await estimatorFor(deps).annotate(fresh.map(({ job }) => job));
  const watched = await bornWatched(estimated, context.user.id, watchStore(deps));
  const toSave = await sendAtSubmit(watched, deps);
  if (context.idempotencyKey) {
    // Each entry's job goes in a transaction with its own key.
    await Promise.all(
      fresh.map(async ({ index, job, claim }, position) => {
        try {
          results[index] = { job: (await save(toSave[position] ?? job, deps, claim)).job };
        } catch (error) {
          reportFailure(index, error);
        }
      }),
    );
  } else {
    // Without keys the jobs are written 25 to a request (BatchWriteItem), not one each.
    const prepared = await Promise.all(
      fresh.map(async ({ index, job }, position) => {
        try {
          const saved = toSave[position] ?? job;
          return { index, job: saved, stored: await deps.claimCheck.prepareSubmission(saved) };
        } catch (error) {
          reportFailure(index, error);
          return undefined;
        }
      }),
    );
    const ready = prepared.filter((entry) => entry !== undefined);
    const outcomes = await deps.store.createMany(ready.map(({ stored }) => stored));
    ready.forEach(({ index, job }, position) => {
      const error = outcomes[position];
      if (error) reportFailure(index, error);
      else results[index] = { job: toJobView(job) };
    });
  }
  return { jobs: results.map((entry) => (entry && 'job' in entry ? entry.job : entry)) };
};
