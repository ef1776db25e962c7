import { InvalidStateError } from '../core/errors';
import type { JobRecord, JobView } from '../core/job';
import { canTransition, type JobStatus } from '../core/job-status';
import type { TransitionResult } from '../core/job-store';
import type { User } from '../core/user';
import type { ApiDependencies } from './dependencies';
import { findVisibleJob, viewOf } from './read-jobs';

/** Concurrent changes (a worker claiming, say) are re-read and decided again this often. */
const MAX_RACES = 3;

/**
 * POST /v1/jobs/{jobId}/cancel. Waiting jobs (queued, delayed, retrying) are cancelled at
 * once — their queue message will find the job cancelled and be dropped. A running job
 * gets `cancelRequested`; its worker aborts the handler and records `cancelled`.
 */
export const cancelJob = async (
  jobId: string | undefined,
  user: User,
  deps: ApiDependencies,
): Promise<JobView> => {
  let job = await findVisibleJob(jobId, user, deps);
  for (let race = 0; race < MAX_RACES; race += 1) {
    const at = deps.clock().toISOString();
    if (job.status === 'processing') {
      if (job.cancelRequested) return viewOf(job, deps);
      const requested = await deps.store.requestCancel(job.jobId, at);
      if (requested.ok) return viewOf(requested.job, deps);
    } else if (canTransition(job.status, 'cancelled')) {
      const cancelled = await deps.store.transition({
        jobId: job.jobId,
        from: [job.status],
        to: 'cancelled',
        at,
        expectedAttempts: job.attempts,
        attempt: job.attempts,
        set: { completedAt: at },
        remove: ['runAt'],
      });
      if (cancelled.ok) return viewOf(cancelled.job, deps);
    } else {
      throw new InvalidStateError(`A ${job.status} job cannot be cancelled.`, job.status);
    }
    job = await findVisibleJob(job.jobId, user, deps);
  }
  throw new InvalidStateError('The job kept changing; try again.', job.status);
};

/** Fields of the previous run that a retried job starts without. */
const PREVIOUS_RUN_FIELDS = [
  'error',
  'result',
  'resultRef',
  'progress',
  'items',
  'startedAt',
  'completedAt',
  'durationMs',
  'estimatedCompletionAt',
  'cancelRequested',
  'runAt',
];

const RETRYABLE: readonly JobStatus[] = ['failed', 'cancelled'];

/**
 * Queues a failed or cancelled job again from attempt 1, in one write conditional on the
 * job still being as `job` shows it (status and attempts); not ok when it changed meanwhile.
 * Leaving failed/cancelled also takes the job out of the status index (JobStore.transition).
 * The one retry path: POST /v1/jobs/{jobId}/retry and the admin bulk retry both use it.
 */
export const requeue = (job: JobRecord, deps: ApiDependencies): Promise<TransitionResult> =>
  deps.store.transition({
    jobId: job.jobId,
    from: [job.status],
    to: 'queued',
    at: deps.clock().toISOString(),
    expectedAttempts: job.attempts,
    attempt: 0,
    set: { attempts: 0 },
    remove: PREVIOUS_RUN_FIELDS,
  });

/** POST /v1/jobs/{jobId}/retry: a failed or cancelled job is queued again from attempt 1. */
export const retryJob = async (
  jobId: string | undefined,
  user: User,
  deps: ApiDependencies,
): Promise<JobView> => {
  const job = await findVisibleJob(jobId, user, deps);
  if (!RETRYABLE.includes(job.status)) {
    throw new InvalidStateError(
      `Only failed or cancelled jobs can be retried; this one is ${job.status}.`,
      job.status,
    );
  }
  // A retry queues the job again: it counts against the caller's submission limit like a submit.
  await deps.limiter.reserve(user.id, 1);
  const retried = await requeue(job, deps);
  if (!retried.ok) {
    const status = retried.current?.status ?? job.status;
    throw new InvalidStateError(`The job changed meanwhile and is now ${status}.`, status);
  }
  return viewOf(retried.job, deps);
};
