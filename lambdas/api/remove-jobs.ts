import { InvalidStateError, NotFoundError, ValidationError } from '../core/errors';
import { isTerminal } from '../core/job-status';
import type { User } from '../core/user';
import { parseOrThrow } from '../core/validation';
import { removeJob } from '../jobs/job-removal';
import { findJobType } from '../jobs/registry';
import { cleanupPayloadSchema } from '../jobs/system-cleanup-payload';
import { requireAdmin } from './admin-queues';
import type { ApiDependencies } from './dependencies';
import { findVisibleJob } from './read-jobs';
import { type SubmitContext, type SubmitOutcome, submitJob } from './submit-jobs';

const notFinished = (status: string) =>
  new InvalidStateError(
    `Only finished (completed, failed or cancelled) jobs can be removed; this one is ${status}.`,
    status,
  );

/**
 * DELETE /v1/jobs/{jobId}: removes a finished job of the caller (admins: anyone's) with its
 * bulk items, event rows and files. Someone else's job answers 404 as if it did not exist;
 * a job not finished, or no longer finished when the delete lands (a retry got there
 * first), 409 INVALID_STATE with its status. Its statistics stay counted. An
 * Idempotency-Key that named it is free again (JobStore.create). Costs a job read, the
 * conditional delete and a Query of the job's rows (see removeJob).
 */
export const deleteJob = async (
  jobId: string | undefined,
  user: User,
  deps: ApiDependencies,
): Promise<void> => {
  const job = await findVisibleJob(jobId, user, deps);
  if (!isTerminal(job.status)) throw notFinished(job.status);
  const removed = await removeJob(
    job.jobId,
    {},
    { store: deps.store, s3: deps.s3, bucketName: deps.settings.bucketName },
  );
  if (removed.ok) return;
  if (!removed.current) throw new NotFoundError('No such job.');
  throw notFinished(removed.current.status);
};

/**
 * POST /v1/admin/clean: submits a `system.cleanup` job for `{ status, olderThanDays,
 * type? }` (the body is its payload) and answers as a submit does: 202 with the job,
 * which then reports its progress and ends with `{ removed }`.
 */
export const cleanJobs = async (
  body: unknown,
  context: SubmitContext,
  deps: ApiDependencies,
): Promise<SubmitOutcome> => {
  requireAdmin(context.user);
  const payload = parseOrThrow(cleanupPayloadSchema, body, 'The clean request is invalid.');
  if (payload.type !== undefined && !findJobType(payload.type)) {
    throw new ValidationError('The clean request is invalid.', [
      { field: 'type', message: `is not a registered job type: ${payload.type}` },
    ]);
  }
  return submitJob({ type: 'system.cleanup', payload }, context, deps);
};
