import type { ClaimCheck } from '../core/claim-check';
import { AppError } from '../core/errors';
import type { JobError, JobRecord } from '../core/job';
import type { JobMessage } from '../core/job-message';
import type { JobQueueClient } from '../core/job-queue-client';
import type { JobStore, TransitionResult } from '../core/job-store';
import { JobFailure, JobPostponed } from '../jobs/job-failure';
import type { JobLogger, JobTypeDefinition } from '../jobs/job-type';
import { AttemptLease, DEFAULT_LEASE_TIMING, type LeaseLossReason, type LeaseTiming } from './attempt-lease';
import {
  attemptOfMessage,
  cancellation,
  claimAttempt,
  claimRequest,
  completion,
  type Ending,
  postponement,
  recordEnding,
  recordLostAttempt,
  retryOrFail,
} from './lifecycle';
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
  /** Whether starts of `type` are rate-limited (then `admit` decides each one). @default none is */
  readonly isRateLimited?: (type: JobTypeDefinition) => boolean;
}

export interface InvocationBudget {
  /** Milliseconds left before the function itself is stopped. */
  readonly remainingMs: () => number;
  /**
   * Makes this message visible again after `seconds` instead of deleting it (the outcome is
   * then `held`). @default the message keeps the visibility it has
   */
  readonly putBack?: (seconds: number) => Promise<void>;
  /**
   * Sends a fresh copy of this message to its queue, visible after `delaySeconds` (then
   * the outcome deletes this one). @default none: such a message fails and returns
   */
  readonly resend?: (delaySeconds: number) => Promise<void>;
}

/**
 * What became of one message; everything but `held` and a thrown error deletes the message.
 * `recovered`: the message of a running attempt came back after its lease ran out, and the
 * attempt was recorded as lost. `held`: it came back while the lease is live (the holder
 * runs), and was put back until the lease's end.
 */
export type MessageOutcome =
  | 'gone'
  | 'stale'
  | 'rescheduled'
  | 'throttled'
  | 'completed'
  | 'retrying'
  | 'failed'
  | 'cancelled'
  | 'lost'
  | 'recovered'
  | 'held';

/** Early arrivals within this margin run now rather than being re-sent. */
const DUE_TOLERANCE_MS = 1000;
/** A start refused by its type's rate limit is tried again this much later. */
const THROTTLE_DELAY_SECONDS = 1;
/** Time kept back from the function's own deadline to record the outcome. */
const DEADLINE_SAFETY_MS = 10_000;
/** A message put back until its lease's end comes back this much later, so the lease has ended. */
const LEASE_END_MARGIN_SECONDS = 1;

/** A message that outran its job's save reads the job once more after this long. */
const SAVE_AT_SUBMIT_REREAD_MS = 100;
/**
 * Past this age a message sent at submit names a job that will never be saved: the API
 * function that sent it times out after 29 s; the rest is a margin for its clock.
 */
const SAVE_AT_SUBMIT_HORIZON_MS = 60_000;

type Abort = { readonly reason: 'TIMEOUT' | LeaseLossReason };

/**
 * Handles one queue message: decides whether it is due, a duplicate or stale; claims
 * the job with a conditional update; runs the type's handler under a deadline and a
 * lease; records the outcome with another conditional update. The message of an attempt
 * still `processing` came back because its worker stopped extending it: it records the
 * lost attempt once the lease has run out (lifecycle.ts).
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
  let job: JobRecord | undefined;
  if (claimsWithoutRead(message, deps)) {
    const timing = deps.leaseTiming ?? DEFAULT_LEASE_TIMING;
    const claim = await deps.store.transition(claimRequest('queued', message, deps.clock(), timing.leaseMs));
    if (claim.ok) {
      await waitIfItMayEndTheProcess(claim.job, deps);
      return run(claim.job, deps, budget);
    }
    // Not a plain queued job for this attempt: the store read it back; decide on it below.
    job = claim.current;
  } else {
    job = await deps.store.get(message.jobId);
  }
  if (!job) {
    const saved = await awaitSaveAtSubmit(message, deps, budget);
    if (saved === 'rescheduled' || saved === 'gone') return saved;
    job = saved;
  }
  const now = deps.clock();
  const belongs = attemptOfMessage(job, message);
  if (belongs === 'running') return recoverRunning(job, deps, budget, now);
  if (belongs === 'stale') return 'stale';

  if ((job.status === 'delayed' || job.status === 'retrying') && job.runAt) {
    if (Date.parse(job.runAt) - now.getTime() > DUE_TOLERANCE_MS) {
      // Only the message the dispatcher sent for this runAt keeps the chain going.
      if (message.runAt !== job.runAt) return 'stale';
      const refused = await deps.queue.send([{ priority: job.priority, message }]);
      if (refused.length > 0) throw new Error('Could not re-send a delayed job message');
      return 'rescheduled';
    }
  }

  const type = deps.findJobType(job.type);
  await waitIfItMayEndTheProcess(job, deps);

  // A rate protects a provider: a cold handler loads (and warms its clients) before the
  // start is counted, so its request goes out in the second it was admitted for.
  // (A handler that cannot load fails below, in run(), where its error is recorded.)
  if (type && deps.isRateLimited?.(type)) await type.load().catch(() => undefined);
  // Over its type's rate, a job waits in the queue: a fresh delayed message, no attempt used.
  const startedAt = deps.clock();
  if (type && deps.admit && !(await deps.admit(type, startedAt))) {
    const refused = await deps.queue.send([
      { priority: job.priority, message, delaySeconds: THROTTLE_DELAY_SECONDS },
    ]);
    if (refused.length > 0) throw new Error('Could not re-send a rate-limited job message');
    return 'throttled';
  }

  const timing = deps.leaseTiming ?? DEFAULT_LEASE_TIMING;
  const claimed = await claimAttempt(deps.store, job, message, startedAt, timing.leaseMs);
  if (!claimed) return 'stale';
  return run(claimed, deps, budget);
};

/**
 * The API sends a job's first message before it saves the job (submit-jobs.ts), so the
 * message can outrun the save, and a save that failed leaves a message naming no job.
 * Such a message (`sentAt`) waits for its job without holding this environment: one more
 * read a moment later (the save usually lands within milliseconds), then a fresh copy is
 * sent with a delay that grows with its age (1 s, 1 s, 2 s, 4 s, …) and this one deleted
 * (a fresh copy restarts the receive count, so the wait never ends in the DLQ). Once the
 * API invocation that sent it is surely over (its 29 s timeout and a margin for clocks,
 * SAVE_AT_SUBMIT_HORIZON_MS) a job can no longer appear, and the message is dropped. A
 * message without `sentAt` names a job saved before it was sent: no job means gone.
 */
const awaitSaveAtSubmit = async (
  message: JobMessage,
  deps: WorkerDependencies,
  budget: InvocationBudget,
): Promise<JobRecord | 'rescheduled' | 'gone'> => {
  if (!message.sentAt) return 'gone';
  const ageMs = () => deps.clock().getTime() - Date.parse(message.sentAt as string);
  if (ageMs() >= SAVE_AT_SUBMIT_HORIZON_MS) return 'gone';
  await new Promise((resolve) => setTimeout(resolve, SAVE_AT_SUBMIT_REREAD_MS));
  const job = await deps.store.get(message.jobId);
  if (job) return job;
  const age = ageMs();
  const leftSeconds = Math.ceil((SAVE_AT_SUBMIT_HORIZON_MS - age) / 1000);
  if (leftSeconds <= 0) return 'gone';
  // Without a way to send a copy, fail the message: it returns after its visibility timeout.
  if (!budget.resend) throw new Error('The job of a message sent at submit is not saved yet');
  await budget.resend(Math.min(Math.max(1, Math.floor(age / 1000)), leftSeconds));
  return 'rescheduled';
};

/**
 * The happy path without a read: a message naming its job's type (the dispatcher's do),
 * with no `runAt` (not a delayed or backed-off attempt), for a type no rate limit holds
 * back (its start must be admitted first), is claimed with one conditional write on
 * `queued` and the attempt count. A job in any other state fails the condition, and the
 * store hands it back as it is (one read, as the other path), so nothing is decided on the
 * message's word alone: the type only chooses which path to try first.
 */
const claimsWithoutRead = (message: JobMessage, deps: WorkerDependencies): boolean => {
  if (message.type === undefined || message.runAt !== undefined) return false;
  const type = deps.findJobType(message.type);
  if (!type) return false;
  return !(deps.isRateLimited?.(type) ?? false);
};

/**
 * A job whose payload may end the worker's process (the `crash` diagnostic) runs only once
 * the rest of its batch is done, so the crash takes no neighbour's attempt with it. A
 * payload kept in S3 is not read yet: such a job is held back as if it could end it. (A job
 * claimed without a read waits after its claim: should two such diagnostics share a batch,
 * the second loses that attempt to the first one's crash and is retried.)
 */
const waitIfItMayEndTheProcess = async (job: JobRecord, deps: WorkerDependencies): Promise<void> => {
  const type = deps.findJobType(job.type);
  if (!type?.mayEndProcess || !deps.runAlone) return;
  if (job.payload === undefined || type.mayEndProcess(job.payload)) await deps.runAlone();
};

/**
 * The message of the running attempt is back: its worker stopped extending it. With the
 * lease run out the attempt is lost (recorded conditionally on that lease); with the lease
 * live its holder runs, and the message is put back until the lease's end, nothing written.
 */
const recoverRunning = async (
  job: JobRecord,
  deps: WorkerDependencies,
  budget: InvocationBudget,
  now: Date,
): Promise<MessageOutcome> => {
  const lost = await recordLostAttempt(deps, job, deps.findJobType(job.type), now);
  if (lost.recorded) {
    deps.logger(job).warn('The worker of this attempt stopped responding; attempt recorded as lost', {
      attempt: job.attempts,
      status: lost.ending.to,
    });
    return 'recovered';
  }
  if (lost.leaseLeftMs === undefined) return 'stale';
  await budget.putBack?.(Math.ceil(lost.leaseLeftMs / 1000) + LEASE_END_MARGIN_SECONDS);
  return 'held';
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
  const deadlineAt = Date.now() + deadlineMs;
  // The claim wrote the status and the lease: progress is coalesced from there on.
  const claimedAt = job.startedAt ? new Date(job.startedAt) : deps.clock();
  const lease = new AttemptLease(
    deps.store,
    job.jobId,
    attempt,
    abort,
    deps.clock,
    deps.leaseTiming,
    claimedAt,
  );
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
      submittedAt: job.createdAt,
      submittedByAdmin: job.submittedByAdmin === true,
      signal: controller.signal,
      deadlineAt: deadlineAt,
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
    const end = deps.clock();
    const cancelled = await recordEnding(deps, job, cancellation(job, end, lastProgress), end);
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
    const end = deps.clock();
    // Large fields move to S3 (recordEnding's claim check) so the outcome always fits in the item.
    const ending = completion(job, outcome.result, end, lastProgress);
    const completed = await recordEnding(deps, job, ending, end);
    logger.debug('Job completed', { durationMs: ending.set.durationMs });
    return settled(completed, 'completed');
  }
  if (outcome?.error instanceof JobPostponed) return recordPostponement(job, deps, logger, outcome.error);
  return recordFailure(job, deps, logger, toJobError(outcome?.error));
};

/**
 * The provider asked for time (JobPostponed): the job waits as `retrying` and runs again
 * as the same attempt. Like a retry, this message is deleted and the dispatcher sends the
 * next one, due at the postponed `runAt`.
 */
const recordPostponement = async (
  job: JobRecord,
  deps: WorkerDependencies,
  logger: JobLogger,
  postponed: JobPostponed,
): Promise<MessageOutcome> => {
  const now = deps.clock();
  const error: JobError = {
    code: postponed.code,
    message: sanitizeErrorMessage(postponed.message),
    retryable: true,
  };
  const ending = postponement(job, error, postponed.retryAfterSeconds, now);
  const result = await recordEnding(deps, job, ending, now);
  logger.info("Job postponed at the provider's request; the attempt is not counted", {
    error,
    attempt: job.attempts,
    runAt: ending.set.runAt,
  });
  return settled(result, 'retrying');
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

const settled = (result: TransitionResult, outcome: MessageOutcome): MessageOutcome =>
  // A failed condition means a lost-attempt record or a cancel got there first: nothing left to do.
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
  const now = deps.clock();
  const ending: Ending = retryOrFail(job, error, deps.findJobType(job.type), now);
  const result = await recordEnding(deps, job, ending, now);
  if (ending.to === 'retrying') {
    logger.warn('Job attempt failed; retrying', { error, attempt: job.attempts, runAt: ending.set.runAt });
    return settled(result, 'retrying');
  }
  logger.error('Job failed', { error, attempt: job.attempts });
  return settled(result, 'failed');
};
