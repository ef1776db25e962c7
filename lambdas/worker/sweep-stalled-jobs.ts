import { backoffSeconds } from '../core/backoff';
import type { JobError } from '../core/job';
import type { JobStore } from '../core/job-store';
import type { JobTypeDefinition } from '../jobs/job-type';

export interface SweepDependencies {
  readonly store: JobStore;
  readonly findJobType: (name: string) => JobTypeDefinition | undefined;
  readonly clock: () => Date;
}

export interface SweepSummary {
  examined: number;
  retried: number;
  failed: number;
  cancelled: number;
}

export const WORKER_LOST: JobError = {
  code: 'WORKER_LOST',
  message: 'The worker running this job stopped responding (crash or timeout)',
  retryable: true,
};

/**
 * The stalled-job check: every job still `processing` whose lease ran out lost its
 * worker. Each is recorded as a lost attempt — `retrying` (the dispatcher sends the next
 * attempt after the backoff) or `failed` with WORKER_LOST when attempts are used up, or
 * `cancelled` if a cancel was pending. Every write is conditional on the same attempt and
 * the same expired lease, so a worker that renewed in the meantime keeps its job.
 */
export const sweepStalledJobs = async (deps: SweepDependencies): Promise<SweepSummary> => {
  const summary: SweepSummary = { examined: 0, retried: 0, failed: 0, cancelled: 0 };
  const now = deps.clock();
  const nowIso = now.toISOString();
  for (const partition of deps.store.leasePartitions()) {
    for (const { jobId } of await deps.store.findExpiredLeases(partition, nowIso)) {
      summary.examined += 1;
      const job = await deps.store.get(jobId);
      if (job?.status !== 'processing' || !job.leaseUntil || job.leaseUntil >= nowIso) continue;
      const base = {
        jobId,
        from: ['processing'] as const,
        at: nowIso,
        expectedAttempts: job.attempts,
        expectedLeaseUntil: job.leaseUntil,
        attempt: job.attempts,
      };
      if (job.cancelRequested) {
        const result = await deps.store.transition({
          ...base,
          to: 'cancelled',
          set: { completedAt: nowIso },
        });
        if (result.ok) summary.cancelled += 1;
        continue;
      }
      const type = deps.findJobType(job.type);
      if (type && job.attempts < job.maxAttempts) {
        const runAt = new Date(
          now.getTime() + backoffSeconds(type.backoff, job.attempts) * 1000,
        ).toISOString();
        const result = await deps.store.transition({
          ...base,
          to: 'retrying',
          error: WORKER_LOST,
          set: { runAt },
        });
        if (result.ok) summary.retried += 1;
        continue;
      }
      const durationMs = job.startedAt ? Math.max(now.getTime() - Date.parse(job.startedAt), 0) : undefined;
      const result = await deps.store.transition({
        ...base,
        to: 'failed',
        error: { ...WORKER_LOST, retryable: false },
        set: { completedAt: nowIso, ...(durationMs === undefined ? {} : { durationMs }) },
      });
      if (result.ok) summary.failed += 1;
    }
  }
  return summary;
};
