/**
 * What the client throws. Every error is a JobQueueError with a `code`; the subclass says
 * where it came from: the API answered with an error (JobQueueApiError, with the HTTP
 * status and the contract's code), the API could not be reached (JobQueueNetworkError),
 * or waitFor gave up (JobQueueTimeoutError).
 */

/** The contract's error codes (CONTRACT.md "Errors"); an API may add others. */
export type ApiErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INVALID_STATE'
  | 'IDEMPOTENCY_CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** The contract's error body: `{ "error": { code, message, details? } }`. */
export interface ApiErrorBody {
  readonly code: ApiErrorCode | (string & {});
  readonly message: string;
  readonly details?: unknown;
}

export class JobQueueError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The API answered with an error status. */
export class JobQueueApiError extends JobQueueError {
  declare readonly code: ApiErrorCode | (string & {});
  constructor(
    readonly status: number,
    body: ApiErrorBody,
    /** From the `Retry-After` header (429, 503), in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(body.code, body.message);
    this.details = body.details;
  }
  readonly details?: unknown;
}

/** No answer: the API or WebSocket could not be reached, or the connection broke. */
export class JobQueueNetworkError extends JobQueueError {
  constructor(message: string, cause?: unknown) {
    super('NETWORK_ERROR', message, { cause });
  }
}

/** waitFor's `timeoutMs` passed before the job ended. `job` is its last known state. */
export class JobQueueTimeoutError extends JobQueueError {
  constructor(
    message: string,
    readonly job?: unknown,
  ) {
    super('WAIT_TIMEOUT', message);
  }
}

/** The code an error status stands for when the body is not the contract's (a gateway's own 401, a 502). */
const CODE_BY_STATUS: Readonly<Record<number, ApiErrorCode>> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'INVALID_STATE',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The contract's error body in `body`, or one made up from the status when it is not there. */
export const errorBodyOf = (status: number, body: unknown): ApiErrorBody => {
  const error = isRecord(body) ? body.error : undefined;
  if (isRecord(error) && typeof error.code === 'string' && typeof error.message === 'string') {
    return {
      code: error.code,
      message: error.message,
      ...('details' in error ? { details: error.details } : {}),
    };
  }
  // API Gateway's JWT authorizer answers `{ "message": "Unauthorized" }`.
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  return { code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'HTTP_ERROR'), message };
};

/** `Retry-After` as seconds: a whole number, or an HTTP date counted from `now`. */
export const parseRetryAfter = (value: string | null, now: number = Date.now()): number | undefined => {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
};

/** Whether `error` is a JobQueueError of `code` (e.g. `isJobQueueError(error, 'NOT_FOUND')`). */
export const isJobQueueError = (error: unknown, code?: string): error is JobQueueError =>
  error instanceof JobQueueError && (code === undefined || error.code === code);
