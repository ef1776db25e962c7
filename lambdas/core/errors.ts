/**
 * Typed errors. Code anywhere throws these; one place (http-response.ts for HTTP, the
 * socket handler for WebSocket) turns them into the contract's error body. Anything else
 * thrown becomes a 500 INTERNAL_ERROR whose message says nothing about internals.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export class ValidationError extends AppError {
  constructor(message: string, fields: readonly FieldIssue[] = []) {
    super(400, 'VALIDATION_ERROR', message, fields.length > 0 ? { fields } : undefined);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid bearer token is required.') {
    super(401, 'UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'This route is for administrators.', details?: { readonly rule: string }) {
    super(403, 'FORBIDDEN', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super(404, 'NOT_FOUND', message);
  }
}

export class InvalidStateError extends AppError {
  constructor(message: string, status: string) {
    super(409, 'INVALID_STATE', message, { status });
  }
}

export class IdempotencyConflictError extends AppError {
  constructor() {
    super(
      409,
      'IDEMPOTENCY_CONFLICT',
      'This Idempotency-Key was already used with a different request body.',
    );
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'PAYLOAD_TOO_LARGE', message);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, limitPerMinute: number) {
    super(
      429,
      'RATE_LIMITED',
      `Too many jobs submitted: the limit is ${limitPerMinute} per minute.`,
      { retryAfterSeconds, limitPerMinute },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
}

/** A per-user daily allowance (emails, uploads) is used up until the next UTC day. */
export class QuotaExceededError extends AppError {
  constructor(quota: string, limitPerDay: number, retryAfterSeconds: number) {
    super(
      429,
      'RATE_LIMITED',
      `The daily ${quota} quota of ${limitPerDay} is used up; it renews at 00:00 UTC.`,
      { quota, limitPerDay, retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, details?: unknown) {
    super(503, 'SERVICE_UNAVAILABLE', message, details);
  }
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/**
 * DynamoDB refused what it was asked to store (item over 400 KB, nesting past 32 levels,
 * a number out of range...): `ValidationException`, or a transaction cancelled for that
 * reason. Input that slipped past our own checks, so the client's fault: a 400, not a 500.
 */
export const isStoreValidationError = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ValidationException') return true;
  if (error.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: readonly { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'ValidationError');
};

const STORE_VALIDATION_MESSAGE =
  'The request could not be stored: it is too large or too deeply nested. Make it smaller or flatter.';

/** The contract's error body for any thrown value; unknown errors reveal nothing. */
export const toErrorBody = (
  error: unknown,
): { statusCode: number; body: ErrorBody; headers: Record<string, string> } => {
  if (error instanceof AppError) {
    const body: ErrorBody = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    };
    return { statusCode: error.statusCode, body, headers: { ...error.headers } };
  }
  if (isStoreValidationError(error)) {
    return {
      statusCode: 400,
      body: { error: { code: 'VALIDATION_ERROR', message: STORE_VALIDATION_MESSAGE } },
      headers: {},
    };
  }
  return {
    statusCode: 500,
    body: { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side; please retry.' } },
    headers: {},
  };
};
