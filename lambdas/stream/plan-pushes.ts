import type { SnapshotMark } from '../core/connection-store';
import type { Push, PushType } from '../core/contract';
import type { JobRecord } from '../core/job';
import type { JobStatus } from '../core/job-status';
import type { JobChange } from '../core/stream-image';

export type { Push, PushType };

const TERMINAL_PUSH: Partial<Record<JobStatus, PushType>> = {
  completed: 'job.completed',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The pushes one change calls for, in order: one per transition the change appended to
 * the job's log (so `processing` always precedes that attempt's progress), then a
 * `job.progress` if progress or item counts moved — unless the job just finished, whose
 * terminal push is then the last word. A result kept in S3 (claim check) is not pushed:
 * the push says `truncated: true` and the client reads the job.
 */
export const pushesFor = (change: JobChange): Push[] => {
  const job = change.newJob;
  if (!job) return [];
  const before: JobRecord | undefined = change.eventName === 'INSERT' ? undefined : change.oldJob;
  const newEvents = job.events.slice(before?.events.length ?? 0);
  const pushes: Push[] = newEvents.map((event) => {
    const base = { jobId: job.jobId, status: event.to, at: event.at, version: job.version };
    const terminal = TERMINAL_PUSH[event.to];
    const isLast = event === newEvents.at(-1);
    if (terminal === 'job.completed') {
      if (isLast && job.resultRef) return { type: terminal, ...base, truncated: true };
      return { type: terminal, ...base, ...(isLast && 'result' in job ? { result: job.result } : {}) };
    }
    if (terminal) return { type: terminal, ...base, ...(event.error ? { error: event.error } : {}) };
    return {
      type: 'job.status',
      ...base,
      attempt: event.attempt,
      ...(event.error ? { error: event.error } : {}),
    };
  });
  const finished = newEvents.some((event) => TERMINAL_PUSH[event.to] !== undefined);
  const progressMoved = !same(before?.progress, job.progress) || !same(before?.items, job.items);
  if (!finished && progressMoved && job.progress) {
    pushes.push({
      type: 'job.progress',
      jobId: job.jobId,
      status: job.status,
      at: job.updatedAt,
      version: job.version,
      progress: job.progress,
      ...(job.items ? { items: job.items } : {}),
      ...(job.estimatedCompletionAt ? { estimatedCompletionAt: job.estimatedCompletionAt } : {}),
    });
  }
  return pushes;
};

/**
 * Whether the state `job` shows is news to a subscriber whose snapshot was `since`: a
 * later version, or the same version written later (a progress or lease write does not
 * bump the version today). A push of what the snapshot already showed is skipped, so a
 * lagging stream never sends a subscriber an older state after its snapshot.
 */
export const isNewerThan = (job: Pick<JobRecord, 'version' | 'updatedAt'>, since: SnapshotMark): boolean =>
  job.version > since.version || (job.version === since.version && job.updatedAt > since.updatedAt);
