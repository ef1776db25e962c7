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
