import { backoffSeconds } from '../core/backoff';
import type { ClaimCheck } from '../core/claim-check';
import type { JobError, JobProgress, JobRecord } from '../core/job';
import type { JobMessage } from '../core/job-message';
import type { JobStatus } from '../core/job-status';
import type { JobStore, TransitionRequest, TransitionResult } from '../core/job-store';
import type { JobTypeDefinition } from '../jobs/job-type';

/**
 * A job's lifecycle as the worker writes it, in one place: which attempt a message is
 * for, the claim, and every ending of an attempt (completed, retrying or failed, cancelled,
 * lost) with the fields each terminal write carries. The retry policy lives here only.
 */

/** The error of an attempt whose worker stopped renewing its lease (crash, timeout, freeze). */
export const WORKER_LOST: JobError = {
  code: 'WORKER_LOST',
  message: 'The worker running this job stopped responding (crash or timeout)',
  retryable: true,
};

/** Statuses that wait for the message of their next attempt. */
const WAITING: readonly JobStatus[] = ['queued', 'delayed', 'retrying'];

/**
 * What a message is to its job: the message that may start the next attempt (`next`), the
 * message of the attempt running now (`running`: redelivered because its worker stopped
 * extending it, or a duplicate), or neither (`stale`: an attempt long over, a finished job).
 */
export type MessageAttempt = 'next' | 'running' | 'stale';

export const attemptOfMessage = (job: JobRecord, message: JobMessage): MessageAttempt => {
  if (WAITING.includes(job.status) && message.attempt === job.attempts + 1) return 'next';
  if (job.status === 'processing' && message.attempt === job.attempts) return 'running';
  return 'stale';
};

/**
 * Claims the job for the attempt `message` starts: a due `delayed` job moves to `queued`
 * first, then `queued`/`retrying` → `processing` with `startedAt` and the lease, each a
 * conditional write on the attempts count. Undefined when the job is not this message's
 * to claim (or another delivery claimed it first).
 */
export const claimAttempt = async (
  store: JobStore,
  job: JobRecord,
  message: JobMessage,
  startedAt: Date,
  leaseMs: number,
): Promise<JobRecord | undefined> => {
  if (attemptOfMessage(job, message) !== 'next') return undefined;
  const at = startedAt.toISOString();
  let current = job;
  if (current.status === 'delayed') {
    const due = await store.transition({
      jobId: job.jobId,
      from: ['delayed'],
      to: 'queued',
      at,
      expectedAttempts: job.attempts,
      attempt: job.attempts,
      remove: ['runAt'],
    });
    if (!due.ok) return undefined;
    current = due.job;
  }
  if (current.status !== 'queued' && current.status !== 'retrying') return undefined;
  const claimed = await store.transition(claimRequest(current.status, message, startedAt, leaseMs));
  return claimed.ok ? claimed.job : undefined;
};

/**
 * The conditional write that starts the attempt `message` is for on a job waiting in
 * `from` (its attempts count one below the message's): `processing`, `startedAt` and the
 * lease, on the item only (no index; read back when the message resurfaces, see
 * recordLostAttempt).
 */
export const claimRequest = (
  from: 'queued' | 'retrying',
  message: JobMessage,
  startedAt: Date,
  leaseMs: number,
): TransitionRequest => {
  const at = startedAt.toISOString();
  return {
    jobId: message.jobId,
    from: [from],
    to: 'processing',
    at,
    expectedAttempts: message.attempt - 1,
    attempt: message.attempt,
    set: {
      attempts: message.attempt,
      startedAt: at,
      leaseUntil: new Date(startedAt.getTime() + leaseMs).toISOString(),
    },
    remove: ['error', 'cancelRequested', 'runAt'],
  };
};

/** What every terminal write carries: when it ended and how long the attempt ran. */
export type TerminalFields = { readonly completedAt: string; readonly durationMs: number };

type TerminalSet = TerminalFields & Readonly<Record<string, unknown>>;

/** How a running attempt ends: the status it moves to and what that write sets. */
export type Ending =
  | { readonly to: 'completed'; readonly set: TerminalSet }
  | {
      readonly to: 'retrying';
      readonly error: JobError;
      /** `attempts` only when a postponement gives the attempt back. */
      readonly set: { readonly runAt: string; readonly attempts?: number };
    }
  | { readonly to: 'failed'; readonly error: JobError; readonly set: TerminalSet }
  | { readonly to: 'cancelled'; readonly set: TerminalSet };

export const terminalFields = (job: JobRecord, end: Date): TerminalFields => ({
  completedAt: end.toISOString(),
  durationMs: job.startedAt ? Math.max(end.getTime() - Date.parse(job.startedAt), 0) : 0,
});

/** The attempt succeeded: its result, and its newest progress at 100 %. */
export const completion = (
  job: JobRecord,
  result: unknown,
  end: Date,
  progress?: JobProgress,
): Extract<Ending, { to: 'completed' }> => ({
  to: 'completed',
  set: {
    result,
    ...terminalFields(job, end),
    ...(progress ? { progress: { ...progress, percent: 100 } } : {}),
  },
});

/** The attempt stopped on a cancel request, keeping the progress it had reached. */
export const cancellation = (job: JobRecord, end: Date, progress?: JobProgress): Ending => ({
  to: 'cancelled',
  set: { ...terminalFields(job, end), ...(progress ? { progress } : {}) },
});

/**
 * The retry-or-fail decision: a retryable error with attempts left (and a type that says
 * how to back off) is retried after the type's backoff; anything else fails the job.
 */
export const retryOrFail = (
  job: JobRecord,
  error: JobError,
  type: JobTypeDefinition | undefined,
  now: Date,
): Ending => {
  if (error.retryable && job.attempts < job.maxAttempts && type) {
    const runAt = new Date(now.getTime() + backoffSeconds(type.backoff, job.attempts) * 1000).toISOString();
    return { to: 'retrying', error, set: { runAt } };
  }
  return { to: 'failed', error, set: terminalFields(job, now) };
};

/**
 * The attempt was postponed (the provider said "later", e.g. HTTP 429 with Retry-After):
 * the job waits `seconds` as `retrying` and gets this attempt back (`attempts` one lower),
 * so the dispatcher's next message carries the same attempt number and a postponement
 * never uses up, nor exhausts, the job's attempts. The write is the same conditional
 * update on `processing` and this attempt as any ending, so a message of the attempt that
 * comes back later finds the job waiting for that attempt with another `runAt` (stale).
 */
export const postponement = (
  job: JobRecord,
  error: JobError,
  seconds: number,
  now: Date,
): Extract<Ending, { to: 'retrying' }> => ({
  to: 'retrying',
  error: { ...error, retryable: true },
  set: {
    runAt: new Date(now.getTime() + seconds * 1000).toISOString(),
    attempts: Math.max(job.attempts - 1, 0),
  },
});

/**
 * A lost attempt (its lease ran out with nobody renewing it): cancelled if a cancel was
 * pending; else retried like any retryable error; once attempts are used up the job fails
 * with WORKER_LOST marked not retryable, since no attempt is left to retry it with.
 */
export const lostAttempt = (job: JobRecord, type: JobTypeDefinition | undefined, now: Date): Ending => {
  if (job.cancelRequested) return cancellation(job, now);
  const ending = retryOrFail(job, WORKER_LOST, type, now);
  return ending.to === 'failed' ? { ...ending, error: { ...WORKER_LOST, retryable: false } } : ending;
};

export interface EndingDependencies {
  readonly store: JobStore;
  /** Moves fields too large for the item (a result, the payload) to S3. */
  readonly claimCheck: ClaimCheck;
}

/**
 * Writes `ending` for the running attempt of `job`: one conditional update on
 * `processing` and this attempt, and on `expectedLeaseUntil` when given (a lost attempt:
 * a holder that renewed its lease meanwhile keeps its job).
 */
export const recordEnding = async (
  deps: EndingDependencies,
  job: JobRecord,
  ending: Ending,
  at: Date,
  expectedLeaseUntil?: string,
): Promise<TransitionResult> => {
  const { set, remove } = await deps.claimCheck.fitUpdate(job, ending.set);
  return deps.store.transition({
    jobId: job.jobId,
    from: ['processing'],
    to: ending.to,
    at: at.toISOString(),
    expectedAttempts: job.attempts,
    attempt: job.attempts,
    ...('error' in ending ? { error: ending.error } : {}),
    ...(expectedLeaseUntil === undefined ? {} : { expectedLeaseUntil }),
    set,
    remove,
  });
};

/** Milliseconds the lease of `job` still runs at `now`; 0 or less when it ran out (or never was). */
export const leaseLeftMs = (job: JobRecord, now: Date): number =>
  job.leaseUntil ? Date.parse(job.leaseUntil) - now.getTime() : 0;

export type LostAttemptResult =
  | { readonly recorded: true; readonly ending: Ending }
  /** The lease is live (again): its holder runs; nothing was written. */
  | { readonly recorded: false; readonly leaseLeftMs: number }
  /** The attempt is over already (finished, or recorded by another delivery). */
  | { readonly recorded: false; readonly leaseLeftMs?: undefined };

/**
 * The stalled-job promise, kept by the message itself: the running attempt's message came
 * back, so its worker stopped extending it. If the lease ran out too, the attempt is lost
 * and recorded so (conditional on that very lease); if the lease is live, its holder is
 * alive and only its visibility extension was late.
 */
export const recordLostAttempt = async (
  deps: EndingDependencies,
  job: JobRecord,
  type: JobTypeDefinition | undefined,
  now: Date,
): Promise<LostAttemptResult> => {
  const left = leaseLeftMs(job, now);
  if (left > 0) return { recorded: false, leaseLeftMs: left };
  const ending = lostAttempt(job, type, now);
  const result = await recordEnding(deps, job, ending, now, job.leaseUntil);
  if (result.ok) return { recorded: true, ending };
  // Lost the race: to the holder renewing (then it is alive) or to the attempt's end.
  const current = result.current;
  if (current?.status === 'processing' && current.attempts === job.attempts) {
    // Still this attempt's: keep the message (it is the only one that can recover the job).
    return { recorded: false, leaseLeftMs: Math.max(leaseLeftMs(current, now), 1) };
  }
  return { recorded: false };
};
