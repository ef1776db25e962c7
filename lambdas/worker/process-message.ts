import { backoffSeconds } from '../core/backoff';
import type { ClaimCheck } from '../core/claim-check';
import { AppError } from '../core/errors';
import type { JobError, JobRecord } from '../core/job';
import type { JobMessage } from '../core/job-message';
import type { JobQueueClient } from '../core/job-queue-client';
import { JobStore, type TransitionResult } from '../core/job-store';
import { JobFailure } from '../jobs/job-failure';
import type { JobLogger, JobTypeDefinition } from '../jobs/job-type';
import { AttemptLease, DEFAULT_LEASE_TIMING, type LeaseLossReason, type LeaseTiming } from './attempt-lease';
import { sanitizeErrorMessage } from './sanitize-error';

export interface WorkerDependencies {
  readonly store: JobStore;
  readonly queue: JobQueueClient;
  /** Offloads large payloads and results to S3 and reads them back. */
  readonly claimCheck: ClaimCheck;
  readonly findJobType: (name: string) => JobTypeDefinition | undefined;
  readonly clock: () => Date;
  readonly logger: (job: JobRecord) => JobLogger;
  readonly leaseTiming?: LeaseTiming;
  /**
   * Whether a job of a rate-limited type may start at `at` (takes a token of that second
   * when it may; the job's startedAt is then that same instant). @default every start is admitted
   */
  readonly admit?: (type: JobTypeDefinition, at: Date) => Promise<boolean>;
  /**
   * Resolves when a job that may end the process may run: after the rest of its batch has
   * finished (see LastInBatch). @default runs at once
   */
  readonly runAlone?: () => Promise<void>;
}

export interface InvocationBudget {
  /** Milliseconds left before the function itself is stopped. */
  readonly remainingMs: () => number;
}

/** What became of one message; everything but a thrown error deletes the message. */
export type MessageOutcome =
  | 'gone'
  | 'stale'
  | 'rescheduled'
  | 'throttled'
  | 'completed'
  | 'retrying'
  | 'failed'
  | 'cancelled'
  | 'lost';

/** Early arrivals within this margin run now rather than being re-sent. */
const DUE_TOLERANCE_MS = 1000;
/** A start refused by its type's rate limit is tried again this much later. */
const THROTTLE_DELAY_SECONDS = 1;
/** Time kept back from the function's own deadline to record the outcome. */
const DEADLINE_SAFETY_MS = 10_000;

type Abort = { readonly reason: 'TIMEOUT' | LeaseLossReason };

/**
 * Handles one queue message: decides whether it is due, a duplicate or stale; claims
 * the job with a conditional update; runs the type's handler under a deadline and a
 * lease; records the outcome with another conditional update.
 *
 * A retry is recorded as `retrying` with a backoff `runAt`; this message is then deleted
 * and the dispatcher (table stream, outbox) sends a fresh one for the next attempt. SQS
 * receive counts thus only grow when nothing could be recorded (crash, timeout, poison),
 * which is what the DLQ's maxReceiveCount is for.
 */
export const processJobMessage = async (
  message: JobMessage,
  deps: WorkerDependencies,
  budget: InvocationBudget,
): Promise<MessageOutcome> => {
  const job = await deps.store.get(message.jobId);
  if (!job) return 'gone';
  const now = deps.clock();

  if ((job.status === 'delayed' || job.status === 'retrying') && job.runAt) {
    if (Date.parse(job.runAt) - now.getTime() > DUE_TOLERANCE_MS) {
      // Only the message the dispatcher sent for this runAt keeps the chain going.
      if (message.runAt !== job.runAt || message.attempt !== job.attempts + 1) return 'stale';
      const refused = await deps.queue.send([{ priority: job.priority, message }]);
      if (refused.length > 0) throw new Error('Could not re-send a delayed job message');
      return 'rescheduled';
    }
  }

  const type = deps.findJobType(job.type);
  if (type?.mayEndProcess && deps.runAlone) {
    // A payload kept in S3 is not read yet: such a job is held back as if it could end the process.
    const mayEnd = job.payload === undefined || type.mayEndProcess(job.payload);
    if (mayEnd) await deps.runAlone();
  }

  // Over its type's rate, a job waits in the queue: a fresh delayed message, no attempt used.
  const startedAt = deps.clock();
  if (type && deps.admit && isClaimable(job, message) && !(await deps.admit(type, startedAt))) {
    const refused = await deps.queue.send([
      { priority: job.priority, message, delaySeconds: THROTTLE_DELAY_SECONDS },
    ]);
    if (refused.length > 0) throw new Error('Could not re-send a rate-limited job message');
    return 'throttled';
  }

  const claimed = await claim(job, message, deps, startedAt);
  if (!claimed) return 'stale';
  return run(claimed, deps, budget);
};

/** Whether this message could claim the job now (so a rate-limit token is worth taking). */
const isClaimable = (job: JobRecord, message: JobMessage): boolean =>
  message.attempt === job.attempts + 1 &&
  (job.status === 'queued' || job.status === 'retrying' || job.status === 'delayed');

const claim = async (
  job: JobRecord,
  message: JobMessage,
  deps: WorkerDependencies,
  startedAt: Date,
): Promise<JobRecord | undefined> => {
  if (message.attempt !== job.attempts + 1) return undefined;
  let current = job;
  if (current.status === 'delayed') {
    const due = await deps.store.transition({
      jobId: job.jobId,
      from: ['delayed'],
      to: 'queued',
      at: startedAt.toISOString(),
      expectedAttempts: job.attempts,
      attempt: job.attempts,
      remove: ['runAt'],
    });
    if (!due.ok) return undefined;
    current = due.job;
  }
  if (current.status !== 'queued' && current.status !== 'retrying') return undefined;
  const timing = deps.leaseTiming ?? DEFAULT_LEASE_TIMING;
  const leaseUntil = new Date(startedAt.getTime() + timing.leaseMs).toISOString();
  const claimed = await deps.store.transition({
    jobId: job.jobId,
    from: [current.status],
    to: 'processing',
    at: startedAt.toISOString(),
    expectedAttempts: current.attempts,
    attempt: message.attempt,
    set: {
      attempts: message.attempt,
      startedAt: startedAt.toISOString(),
      ...JobStore.leaseAttributes(job.jobId, leaseUntil),
    },
    remove: ['error', 'cancelRequested', 'runAt'],
  });
  return claimed.ok ? claimed.job : undefined;
};

const run = async (
  job: JobRecord,
  deps: WorkerDependencies,
  budget: InvocationBudget,
): Promise<MessageOutcome> => {
  const logger = deps.logger(job);
  const attempt = job.attempts;
  const type = deps.findJobType(job.type);
  if (!type) {
    return recordFailure(job, deps, logger, {
      code: 'UNKNOWN_JOB_TYPE',
      message: `Job type "${job.type}" is not registered with this worker`,
      retryable: false,
    });
  }

  // A payload too large for the item was claim-checked to S3 at submission (or to make room).
  let loaded: Awaited<ReturnType<ClaimCheck['payloadOf']>>;
  try {
    loaded = await deps.claimCheck.payloadOf(job);
  } catch (error) {
    return recordFailure(job, deps, logger, toJobError(error));
  }
  if (!loaded.found) {
    return recordFailure(job, deps, logger, {
      code: 'PAYLOAD_EXPIRED',
      message: 'The payload of this job is no longer stored; submit it again',
      retryable: false,
    });
  }
  const payload = loaded.value;

  const refusal = refusalOf(type, { ...job, payload });
  if (refusal) return recordFailure(job, deps, logger, refusal);

  const controller = new AbortController();
  let aborted: Abort | undefined;
  const abort = (reason: Abort['reason']) => {
    if (aborted) return;
    aborted = { reason };
    controller.abort(new Error(reason));
  };
  let release: () => void = () => {};
  const abortedPromise = new Promise<void>((resolve) => {
    release = resolve;
    controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });

  const deadlineMs = Math.max(
    Math.min(type.timeoutSeconds * 1000, budget.remainingMs() - DEADLINE_SAFETY_MS),
    1000,
  );
  const deadline = setTimeout(() => abort('TIMEOUT'), deadlineMs);
  const lease = new AttemptLease(deps.store, job.jobId, attempt, abort, deps.clock, deps.leaseTiming);
  lease.start();

  let outcome: { ok: true; result: unknown } | { ok: false; error: unknown } | undefined;
  try {
    const handler = await type.load();
    const execution = handler({
      jobId: job.jobId,
      userId: job.userId,
      payload,
      attempt,
      maxAttempts: job.maxAttempts,
      idempotencyKey: `${job.jobId}:${attempt}`,
      correlationId: job.correlationId,
      signal: controller.signal,
      progress: (update) => lease.progress(update),
      logger,
    }).then(
      (result) => {
        outcome = { ok: true, result };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    // A handler that ignores its signal is not waited for past the deadline.
    await Promise.race([execution, abortedPromise]);
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    clearTimeout(deadline);
    release();
  }
  const lastProgress = await lease.stop();

  if (aborted?.reason === 'LOST') {
    logger.warn('The job was taken over while running (lease lost); dropping this attempt');
    return 'lost';
  }
  if (aborted?.reason === 'CANCELLED') {
    const cancelled = await deps.store.transition({
      jobId: job.jobId,
      from: ['processing'],
      to: 'cancelled',
      at: deps.clock().toISOString(),
      expectedAttempts: attempt,
      attempt,
      set: { completedAt: deps.clock().toISOString(), ...(lastProgress ? { progress: lastProgress } : {}) },
    });
    logger.info('Job cancelled while running');
    return settled(cancelled, 'cancelled');
  }
  if (aborted?.reason === 'TIMEOUT') {
    return recordFailure(job, deps, logger, {
      code: 'TIMEOUT',
      message: `The job did not finish within ${Math.round(deadlineMs / 1000)} s`,
      retryable: true,
    });
  }
  if (outcome?.ok) {
    const finishedAt = deps.clock();
    // Large fields move to S3 so the outcome always fits in the item.
    const { set, remove } = await deps.claimCheck.fitUpdate(job, {
      result: outcome.result,
      completedAt: finishedAt.toISOString(),
      durationMs: durationSince(job, finishedAt),
      ...(lastProgress ? { progress: { ...lastProgress, percent: 100 } } : {}),
    });
    const completed = await deps.store.transition({
      jobId: job.jobId,
      from: ['processing'],
      to: 'completed',
      at: finishedAt.toISOString(),
      expectedAttempts: attempt,
      attempt,
      set,
      remove,
    });
    logger.debug('Job completed', { durationMs: durationSince(job, finishedAt) });
    return settled(completed, 'completed');
  }
  return recordFailure(job, deps, logger, toJobError(outcome?.error));
};

/**
 * The submission rules, checked again before the job runs: a job queued before a rule
 * existed, or past the API some other way, is refused here and fails at once.
 */
const refusalOf = (type: JobTypeDefinition, job: JobRecord): JobError | undefined => {
  const caller = { id: job.userId, isAdmin: job.submittedByAdmin === true };
  if (type.system && !caller.isAdmin) {
    return { code: 'FORBIDDEN', message: `${type.name} is a system job type`, retryable: false };
  }
  const parsed = type.schema.safeParse(job.payload);
  if (!parsed.success) {
    return {
      code: 'INVALID_PAYLOAD',
      message: `The payload does not pass ${type.name}'s schema`,
      retryable: false,
    };
  }
  try {
    type.authorize?.(parsed.data, caller);
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message, retryable: false };
    throw error;
  }
  return undefined;
};

const durationSince = (job: JobRecord, end: Date): number =>
  job.startedAt ? Math.max(end.getTime() - Date.parse(job.startedAt), 0) : 0;

const settled = (result: TransitionResult, outcome: MessageOutcome): MessageOutcome =>
  // A failed condition means the sweep or a cancel got there first: nothing left to do.
  result.ok ? outcome : 'lost';

export const toJobError = (error: unknown): JobError => {
  if (error instanceof JobFailure) {
    return { code: error.code, message: sanitizeErrorMessage(error.message), retryable: error.retryable };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'HANDLER_ERROR', message: sanitizeErrorMessage(message), retryable: true };
};

const recordFailure = async (
  job: JobRecord,
  deps: WorkerDependencies,
  logger: JobLogger,
  error: JobError,
): Promise<MessageOutcome> => {
  const attempt = job.attempts;
  const now = deps.clock();
  const type = deps.findJobType(job.type);
  if (error.retryable && attempt < job.maxAttempts && type) {
    const delaySeconds = backoffSeconds(type.backoff, attempt);
    const runAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
    const { set, remove } = await deps.claimCheck.fitUpdate(job, { error, runAt });
    const retrying = await deps.store.transition({
      jobId: job.jobId,
      from: ['processing'],
      to: 'retrying',
      at: now.toISOString(),
      expectedAttempts: attempt,
      attempt,
      error,
      set,
      remove,
    });
    logger.warn('Job attempt failed; retrying', { error, attempt, runAt });
    return settled(retrying, 'retrying');
  }
  const { set, remove } = await deps.claimCheck.fitUpdate(job, {
    error,
    completedAt: now.toISOString(),
    durationMs: durationSince(job, now),
  });
  const failed = await deps.store.transition({
    jobId: job.jobId,
    from: ['processing'],
    to: 'failed',
    at: now.toISOString(),
    expectedAttempts: attempt,
    attempt,
    error,
    set,
    remove,
  });
  logger.error('Job failed', { error, attempt });
  return settled(failed, 'failed');
};
