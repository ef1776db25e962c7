import type { JobFrame, JobPush, JobSnapshot } from './types';

const TERMINAL_PUSHES: ReadonlySet<string> = new Set(['job.completed', 'job.failed', 'job.cancelled']);
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
const JOB_FRAME_TYPES: ReadonlySet<string> = new Set([
  'job.snapshot',
  'job.status',
  'job.progress',
  ...TERMINAL_PUSHES,
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A server frame about one job: a snapshot with its job, or a push with jobId and version. */
export const isJobFrame = (frame: unknown): frame is JobFrame => {
  if (!isRecord(frame) || typeof frame.type !== 'string' || !JOB_FRAME_TYPES.has(frame.type)) return false;
  if (frame.type === 'job.snapshot') {
    return (
      isRecord(frame.job) && typeof frame.job.jobId === 'string' && typeof frame.job.version === 'number'
    );
  }
  return typeof frame.jobId === 'string' && typeof frame.version === 'number';
};

export const jobIdOf = (frame: JobFrame): string =>
  frame.type === 'job.snapshot' ? frame.job.jobId : frame.jobId;
export const versionOf = (frame: JobFrame): number =>
  frame.type === 'job.snapshot' ? frame.job.version : frame.version;

/** The job's last word: a terminal push, or a snapshot of a finished job. */
export const isTerminalFrame = (frame: JobFrame): boolean =>
  frame.type === 'job.snapshot' ? TERMINAL_STATUSES.has(frame.job.status) : TERMINAL_PUSHES.has(frame.type);

export const isSnapshot = (frame: JobFrame): frame is JobSnapshot => frame.type === 'job.snapshot';
export const isPush = (frame: JobFrame): frame is JobPush => frame.type !== 'job.snapshot';

interface Mark {
  readonly version: number;
  /** A snapshot covers every push of its version; pushes of one change share a version. */
  readonly fromSnapshot: boolean;
  /** The pushes of `version` already passed (one change may push several, e.g. status then progress). */
  readonly seen: Set<string>;
}

/**
 * Passes each job's frames once and never backwards, across reconnects: a snapshot or
 * push older than what the consumer has is dropped, so is a push a snapshot already
 * covers (same version), and so is a push seen before (a notifier's retry, or the same
 * change reaching two subscriptions of one connection).
 */
export class FrameOrder {
  private readonly marks = new Map<string, Mark>();
  private readonly finished = new Set<string>();

  /** Whether `frame` is news to the consumer; if so it becomes what the consumer has. */
  accept(frame: JobFrame): boolean {
    const jobId = jobIdOf(frame);
    const version = versionOf(frame);
    const mark = this.marks.get(jobId);
    if (mark && version < mark.version) return false;
    const text = JSON.stringify(frame);
    if (mark && version === mark.version) {
      if (isSnapshot(frame) || mark.fromSnapshot || mark.seen.has(text)) return false;
      mark.seen.add(text);
    } else {
      this.marks.set(jobId, { version, fromSnapshot: isSnapshot(frame), seen: new Set([text]) });
    }
    if (isTerminalFrame(frame)) this.finished.add(jobId);
    else this.finished.delete(jobId);
    return true;
  }

  /** Jobs any frame was passed for. */
  seen(): Set<string> {
    return new Set(this.marks.keys());
  }

  /** Jobs seen and not finished yet: the ones a reconnecting `watch("all")` catches up on. */
  unfinished(): string[] {
    return [...this.marks.keys()].filter((jobId) => !this.finished.has(jobId));
  }
}
