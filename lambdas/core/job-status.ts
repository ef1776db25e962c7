export const JOB_STATUSES = [
  'queued',
  'delayed',
  'processing',
  'retrying',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * The allowed transitions of the contract, as data: every state change in the code base
 * goes through `canTransition`, and the store's conditional updates only ever name a
 * `from` that lists the target here.
 */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['processing', 'cancelled'],
  delayed: ['queued', 'cancelled'],
  processing: ['completed', 'failed', 'retrying', 'cancelled'],
  retrying: ['processing', 'cancelled', 'failed'],
  completed: [],
  failed: ['queued'],
  cancelled: ['queued'],
};

export const canTransition = (from: JobStatus, to: JobStatus): boolean => TRANSITIONS[from].includes(to);

/** Statuses that may move to `to`. */
export const statusesLeadingTo = (to: JobStatus): JobStatus[] =>
  JOB_STATUSES.filter((from) => canTransition(from, to));

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

export const isJobStatus = (value: unknown): value is JobStatus =>
  typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
