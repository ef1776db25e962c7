import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import type { JobRecord } from '../core/job';
import { isExpired, JobStore, type RemovalCondition } from '../core/job-store';
import { s3Client } from '../core/s3-client';
import { type RemovalDependencies, removeJob } from './job-removal';
import type { JobContext } from './job-type';
import type { CleanupPayload } from './system-cleanup-payload';

export interface CleanupDependencies extends RemovalDependencies {
  readonly clock: () => Date;
}

export interface CleanupResult {
  readonly removed: number;
  /** Jobs that finished before this instant were removed. */
  readonly cutoff: string;
  /** Stopped before its deadline with more left: calling clean again goes on. */
  readonly incomplete?: true;
}

const DAY_MS = 86_400_000;
/** Status-index entries read a Query (keys only: ≤ 2 read units a page). */
const INDEX_PAGE = 100;
/** Jobs removed at once (each: a conditional delete, a Query of its rows, a few S3 deletes). */
const REMOVAL_CONCURRENCY = 25;
/** A page (up to 1 MB of the table, or 100 index entries and their jobs) ends well within this. */
const STOP_MARGIN_MS = 20_000;
/** When the worker gives no deadline (it always does): the type's timeout. */
const FALLBACK_TIMEOUT_MS = 300_000;

/** A job's finish time: `completedAt`, else (a job finished before it was ever run) `createdAt`. */
const finishedAt = (job: JobRecord): string => job.completedAt ?? job.createdAt;

/** Removes `jobs` (each exactly as DELETE /v1/jobs/{jobId} does), 25 at a time; how many went. */
const removeAll = async (
  jobIds: readonly string[],
  condition: RemovalCondition,
  deps: RemovalDependencies,
): Promise<number> => {
  let removed = 0;
  for (let offset = 0; offset < jobIds.length; offset += REMOVAL_CONCURRENCY) {
    const outcomes = await Promise.all(
      jobIds.slice(offset, offset + REMOVAL_CONCURRENCY).map((jobId) => removeJob(jobId, condition, deps)),
    );
    removed += outcomes.filter((outcome) => outcome.ok).length;
  }
  return removed;
};

/**
 * system.cleanup: removes the finished jobs of `status` that finished (`completedAt`, else
 * `createdAt`) more than `olderThanDays` ago, optionally of one `type`, each with the
 * conditional removal of DELETE /v1/jobs/{jobId} (a job retried meanwhile stays), page by
 * page with progress, never holding more than a page:
 * - failed / cancelled: the sparse status index, each of its 8 partitions oldest first,
 *   reading only entries created before the cutoff (a job created after it cannot have
 *   finished before it); each page's jobs are read back (0.5 read units each) and checked.
 * - completed: no index holds them (a job that completes normally never writes one), so a
 *   paginated Scan of the table filtered on the job item, status and age. It reads the
 *   whole table (0.5 read units per 4 KB, ≈ $0.125 per GB read on demand): acceptable for a
 *   rare admin job; retention's TTL removes completed jobs after 7 days for free anyway.
 * It stops 20 s before its deadline and answers `incomplete: true` with what it removed:
 * removed jobs are gone, so calling clean again goes on from there (a Scan re-reads the
 * table, the index only what is still left).
 */
export const runCleanup = async (
  context: JobContext<CleanupPayload>,
  deps: CleanupDependencies,
): Promise<CleanupResult> => {
  const { status, olderThanDays, type } = context.payload;
  const started = deps.clock().getTime();
  const cutoff = new Date(started - olderThanDays * DAY_MS).toISOString();
  const condition: RemovalCondition = { status, finishedBefore: cutoff, ...(type ? { type } : {}) };
  const deadlineAt = context.deadlineAt ?? started + FALLBACK_TIMEOUT_MS;
  const outOfTime = () => deadlineAt - deps.clock().getTime() < STOP_MARGIN_MS;
  let removed = 0;
  let pages = 0;
  const report = (percent?: number) =>
    context.progress({
      ...(percent === undefined ? {} : { percent }),
      stage: status === 'completed' ? 'scanning' : 'removing',
      message: `${removed} removed, ${pages} page(s) read`,
    });

  if (status === 'completed') {
    let next: Record<string, unknown> | undefined;
    do {
      context.signal.throwIfAborted();
      if (outOfTime()) return { removed, cutoff, incomplete: true };
      const page = await deps.store.scanFinishedPage({ status, finishedBefore: cutoff, type }, next);
      removed += await removeAll(
        page.entries.map((job) => job.jobId),
        condition,
        deps,
      );
      pages += 1;
      next = page.next;
      await report();
    } while (next);
    return { removed, cutoff };
  }

  const partitions = deps.store.statusPartitions(status);
  for (const [position, partition] of partitions.entries()) {
    let next: Record<string, unknown> | undefined;
    do {
      context.signal.throwIfAborted();
      if (outOfTime()) return { removed, cutoff, incomplete: true };
      const page = await deps.store.pageStatusPartitionBefore(partition, cutoff, INDEX_PAGE, next);
      const jobs = await deps.store.getJobs(page.entries);
      const now = deps.clock();
      const due = [...jobs.values()].filter(
        (job) =>
          job.status === status &&
          finishedAt(job) < cutoff &&
          (type === undefined || job.type === type) &&
          !isExpired(job, now),
      );
      removed += await removeAll(
        due.map((job) => job.jobId),
        condition,
        deps,
      );
      pages += 1;
      next = page.next;
      await report(Math.floor((100 * position) / partitions.length));
    } while (next);
  }
  return { removed, cutoff };
};

const config = readConfig(['tableName', 'bucketName']);
const clock = () => new Date();
const dependencies: CleanupDependencies = {
  store: new JobStore(documentClient, config.tableName, undefined, clock),
  s3: s3Client,
  bucketName: config.bucketName,
  clock,
};

export const cleanup = (context: JobContext<CleanupPayload>) => runCleanup(context, dependencies);
