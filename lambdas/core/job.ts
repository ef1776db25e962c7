import type { JobStatus } from './job-status';
import type { Priority } from './priority';

export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface JobProgress {
  readonly percent?: number;
  readonly stage?: string;
  readonly message?: string;
}

export interface JobEntity {
  readonly name: string;
  readonly id: string;
}

export interface ItemCounts {
  readonly total: number;
  readonly processed: number;
  readonly failed: number;
}

/** One entry of a job's transition log, kept inside the job item (same write, no extra cost). */
export interface JobEvent {
  readonly at: string;
  readonly from: JobStatus | null;
  readonly to: JobStatus;
  readonly attempt: number;
  readonly error?: JobError;
}

/** Where an offloaded field lives in the bucket (claim check), and its serialized size. */
export interface ObjectRef {
  readonly key: string;
  readonly bytes: number;
}

/** A job as stored (minus table keys). */
export interface JobRecord {
  readonly jobId: string;
  readonly userId: string;
  readonly type: string;
  readonly status: JobStatus;
  readonly priority: Priority;
  readonly priorityValue: number;
  readonly payload: unknown;
  /** Set instead of `payload` when the payload was too large for the item. */
  readonly payloadRef?: ObjectRef;
  readonly result?: unknown;
  /** Set instead of `result` when the result was too large for the item. */
  readonly resultRef?: ObjectRef;
  readonly error?: JobError;
  readonly progress?: JobProgress;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly correlationId?: string;
  readonly entity?: JobEntity;
  readonly metadata?: Record<string, unknown>;
  readonly items?: ItemCounts;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly runAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly durationMs?: number;
  readonly estimatedCompletionAt?: string;
  readonly cancelRequested?: boolean;
  /** While processing: the worker's lease; an expired lease means the worker is gone. */
  readonly leaseUntil?: string;
  readonly events: readonly JobEvent[];
  readonly version: number;
  /** TTL, epoch seconds. */
  readonly expiresAt?: number;
  /** Submitted by an admin or the stack: the worker lets admin-only options and system types run. */
  readonly submittedByAdmin?: boolean;
  /** For types where only the newest version of an entity matters (data.sync). */
  readonly supersedes?: { readonly key: string; readonly version: number };
  /**
   * Someone subscribed to this job (or to all of its owner's jobs): the notify event
   * source passes only records of watched jobs. Set once, never a change of the job.
   */
  readonly watched?: boolean;
  /**
   * The API sent this job's first message itself, before saving it, so the dispatcher
   * sends none for its insert (a critical job does not wait behind a flood in the stream).
   */
  readonly sentAtSubmit?: boolean;
  /** Set by the sweep when it re-sent the message of a job left waiting (see sweep-stranded-jobs.ts). */
  readonly redispatch?: RedispatchMarker;
}

/** The sweep re-sent a stranded job's message `count` times, last `at`, while it waited since `since`. */
export interface RedispatchMarker {
  /** The job's `updatedAt` when it was re-sent: any later change of the job voids the marker. */
  readonly since: string;
  readonly at: string;
  readonly count: number;
}

/** The job as the contract shows it to clients: the stored job minus its internals. */
export type JobView = Omit<
  JobRecord,
  | 'userId'
  | 'updatedAt'
  | 'leaseUntil'
  | 'events'
  | 'watched'
  | 'sentAtSubmit'
  | 'expiresAt'
  | 'submittedByAdmin'
  | 'payloadRef'
  | 'resultRef'
  | 'redispatch'
>;

export const toJobView = (job: JobRecord): JobView => {
  const view: Record<string, unknown> = {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    priority: job.priority,
    priorityValue: job.priorityValue,
    payload: job.payload,
    result: job.result,
    error: job.error,
    progress: job.progress,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    correlationId: job.correlationId,
    entity: job.entity,
    metadata: job.metadata,
    items: job.items,
    cancelRequested: job.cancelRequested || undefined,
    createdAt: job.createdAt,
    runAt: job.runAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    durationMs: job.durationMs,
    estimatedCompletionAt: job.estimatedCompletionAt,
    // CONTRACT.md "Job": grows with every change; a WebSocket client drops pushes it has.
    version: job.version,
  };
  for (const key of Object.keys(view)) if (view[key] === undefined) delete view[key];
  return view as unknown as JobView;
};
