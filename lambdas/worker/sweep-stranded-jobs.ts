import type { JobRecord, RedispatchMarker } from '../core/job';
import { type JobQueueClient, messageForWaitingJob } from '../core/job-queue-client';
import type { JobStatus } from '../core/job-status';
import type { JobStore } from '../core/job-store';
import { STATUS_INDEXED } from '../core/table-keys';

export interface StrandedSweepDependencies {
  readonly store: JobStore;
  readonly queue: JobQueueClient;
  readonly clock: () => Date;
}

export interface StrandedSweepOptions {
  /** A waiting job this long past due (and its message nowhere seen) is re-sent. */
  readonly strandedAfterMs: number;
  /** Status-index entries read per partition per sweep: bounds the sweep's cost under a backlog. */
  readonly candidatesPerPartition: number;
}

export const DEFAULT_STRANDED_SWEEP: StrandedSweepOptions = {
  strandedAfterMs: 15 * 60_000,
  candidatesPerPartition: 25,
};

export interface StrandedSweepSummary {
  /** Waiting jobs read back from the status index. */
  examined: number;
  /** Of those, messages re-sent. */
  resent: number;
}

/** Statuses that wait for a queue message (the same as the dispatcher's). */
const WAITING: readonly JobStatus[] = ['queued', 'delayed', 'retrying'];
/** The gap between two re-sends of the same waiting job doubles up to 2^this × strandedAfter. */
const MAX_DOUBLINGS = 10;

/** When a waiting job could first run: its `runAt`, or when it started waiting. */
const dueAt = (job: JobRecord): number => Date.parse(job.runAt ?? job.updatedAt ?? job.createdAt);

/** The sweep's marker, if it is about this very wait (same `updatedAt`; any change voids it). */
const markerOf = (job: JobRecord): RedispatchMarker | undefined =>
  job.redispatch && job.redispatch.since === job.updatedAt ? job.redispatch : undefined;

/**
 * Whether `job` is left waiting with no message that will ever move it: due long ago, and
 * (if re-sent before) not re-sent recently. The gap between re-sends doubles, so a job
 * that waits on purpose (a paused queue, a long backlog) costs only a few duplicates.
 */
export const isStranded = (job: JobRecord, now: Date, options: StrandedSweepOptions): boolean => {
  if (!WAITING.includes(job.status)) return false;
  if (now.getTime() - dueAt(job) < options.strandedAfterMs) return false;
  const marker = markerOf(job);
  if (!marker) return true;
  const gap = options.strandedAfterMs * 2 ** Math.min(marker.count, MAX_DOUBLINGS);
  return now.getTime() - Date.parse(marker.at) >= gap;
};

/**
 * Finds jobs left waiting (queued, delayed, retrying) whose message is gone — the
 * dispatcher gave up and its failure could not be replayed, the message expired in a
 * queue paused past its retention, a purge or an operator removed it — and sends the
 * message the dispatcher would have sent (`{ jobId, attempt, runAt? }`).
 *
 * Nothing is added to the happy path: candidates come from the sparse status index,
 * which holds only jobs off the happy path (`delayed` and `retrying` among the waiting
 * ones), read by partition with the index sort key (never later than the job's creation)
 * before the due cut-off, a bounded number per partition. A `queued` job is not in that
 * index (every job passes through it), so it is not looked for here: the outbox (the
 * stream retries, a failed dispatch batch is replayed) and the dispatch alarms cover it.
 *
 * A re-sent message that turns out to be a duplicate (the original was only slow) is
 * harmless: the worker claims a job only for the attempt it is waiting for, so the second
 * message finds the attempt taken (or the job finished) and is dropped. The re-send is
 * noted on the job (a marker, not a change: no event, no version), so the next sweeps
 * wait twice as long each time before sending again.
 */
export const sweepStrandedJobs = async (
  deps: StrandedSweepDependencies,
  options: StrandedSweepOptions = DEFAULT_STRANDED_SWEEP,
): Promise<StrandedSweepSummary> => {
  const summary: StrandedSweepSummary = { examined: 0, resent: 0 };
  const now = deps.clock();
  const cutoff = new Date(now.getTime() - options.strandedAfterMs).toISOString();
  for (const status of WAITING.filter((waiting) => STATUS_INDEXED.includes(waiting))) {
    for (const partition of deps.store.statusPartitions(status)) {
      const jobIds = await deps.store.findInStatusPartition(
        partition,
        cutoff,
        options.candidatesPerPartition,
      );
      for (const jobId of jobIds) {
        summary.examined += 1;
        const job = await deps.store.get(jobId);
        if (!job || !isStranded(job, now, options)) continue;
        const outgoing = messageForWaitingJob(job);
        const refused = await deps.queue.send([outgoing]);
        if (refused.length > 0) continue; // SQS refused: the next sweep tries again.
        summary.resent += 1;
        await deps.store.recordRedispatch(job, {
          since: job.updatedAt,
          at: now.toISOString(),
          count: (markerOf(job)?.count ?? 0) + 1,
        });
      }
    }
  }
  return summary;
};
