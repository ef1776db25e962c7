/**
 * What a job handler throws to fail with a code of its own. `retryable: false` fails the
 * job at once, whatever attempts remain. Any other thrown error is a retryable
 * HANDLER_ERROR whose message is kept (sanitized) on the job.
 */
export class JobFailure extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'JobFailure';
    this.retryable = options.retryable ?? true;
  }
}

/** Longest a provider may postpone a job in one go; a larger Retry-After is capped to it. */
export const MAX_POSTPONE_SECONDS = 3600;

/**
 * What a job handler throws when a provider asks it to come back later (e.g. HTTP 429
 * with Retry-After): the job waits `retryAfterSeconds` (1–3600) and runs again as the
 * same attempt, since nothing was wrong with it. A postponement never fails a job.
 */
export class JobPostponed extends Error {
  readonly retryAfterSeconds: number;

  constructor(
    readonly code: string,
    message: string,
    retryAfterSeconds: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'JobPostponed';
    const seconds = Number.isFinite(retryAfterSeconds) ? Math.ceil(retryAfterSeconds) : 1;
    this.retryAfterSeconds = Math.min(Math.max(seconds, 1), MAX_POSTPONE_SECONDS);
  }
}
