import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { payloadKey, resultKey } from '../core/claim-check';
import type { JobRecord } from '../core/job';
import type { JobStore, RemovalCondition, RemovalResult } from '../core/job-store';
import { logger } from '../core/observability';
import { findJobType } from './registry';

export interface RemovalDependencies {
  readonly store: JobStore;
  readonly s3: S3Client;
  readonly bucketName: string;
}

/**
 * The bucket objects that are the job's own: its claim-checked payload and result (both
 * keys, referenced or not: an earlier attempt may have written one) and the files its type
 * declares (`outputKeys`, e.g. pdf.render's PDF). Never an upload, which other jobs may
 * read, nor a cache shared by a user's jobs (resume extractions).
 */
export const jobObjectKeys = (job: Pick<JobRecord, 'jobId' | 'userId' | 'type'>): string[] => [
  ...new Set([
    payloadKey(job.jobId),
    resultKey(job.jobId),
    ...(findJobType(job.type)?.outputKeys?.(job) ?? []),
  ]),
];

/**
 * Removes a finished job: its item first, in one write conditional on the job still being
 * finished and matching `condition` (so a retry that got there first wins: not ok, with the
 * job as it is now), then the rows of its partition (bulk items, event rows) and its files.
 * The one removal path: DELETE /v1/jobs/{jobId} and system.cleanup both use it.
 *
 * Once the item is gone the job is removed for every reader; rows or files a failure leaves
 * behind are unreachable and expire anyway (items by TTL, files by the bucket's lifecycle
 * rules), so that failure is logged, not thrown: a caller retrying would find no job.
 * S3 DELETE requests are free; the table part costs what removeFinished and removeJobRows say.
 */
export const removeJob = async (
  jobId: string,
  condition: RemovalCondition,
  deps: RemovalDependencies,
): Promise<RemovalResult> => {
  const removed = await deps.store.removeFinished(jobId, condition);
  if (!removed.ok) return removed;
  const leftovers = await Promise.allSettled([
    deps.store.removeJobRows(jobId),
    ...jobObjectKeys(removed.job).map((Key) =>
      deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucketName, Key })),
    ),
  ]);
  const failure = leftovers.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    logger.warn('Removed a job but not all of its rows or files; they expire on their own', {
      jobId,
      error: failure.reason,
    });
  }
  return removed;
};
