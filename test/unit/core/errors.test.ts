import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  AppError,
  ForbiddenError,
  IdempotencyConflictError,
  InvalidStateError,
  isStoreValidationError,
  NotFoundError,
  PayloadTooLargeError,
  QuotaExceededError,
  RateLimitedError,
  ServiceUnavailableError,
  toErrorBody,
  UnauthorizedError,
  ValidationError,
} from '../../../lambdas/core/errors';

const STORE_MESSAGE =
  'The request could not be stored: it is too large or too deeply nested. Make it smaller or flatter.';
const INTERNAL = {
  statusCode: 500,
  body: { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side; please retry.' } },
  headers: {},
};

const named = (name: string, message = 'from the store') => Object.assign(new Error(message), { name });
const cancelled = (reasons?: { Code?: string }[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    ...(reasons ? { CancellationReasons: reasons } : {}),
  });

describe('typed errors → the contract’s error body', () => {
  test.each([
    [
      'a validation error with fields',
      new ValidationError('The job submission is invalid.', [{ field: 'type', message: 'Required' }]),
      400,
      {
        code: 'VALIDATION_ERROR',
        message: 'The job submission is invalid.',
        details: { fields: [{ field: 'type', message: 'Required' }] },
      },
    ],
    [
      'a validation error without fields (no details at all)',
      new ValidationError('Bad cursor.'),
      400,
      { code: 'VALIDATION_ERROR', message: 'Bad cursor.' },
    ],
    [
      'unauthorized, default message',
      new UnauthorizedError(),
      401,
      { code: 'UNAUTHORIZED', message: 'A valid bearer token is required.' },
    ],
    [
      'unauthorized, own message',
      new UnauthorizedError('Expired.'),
      401,
      { code: 'UNAUTHORIZED', message: 'Expired.' },
    ],
    [
      'forbidden, default message',
      new ForbiddenError(),
      403,
      { code: 'FORBIDDEN', message: 'This route is for administrators.' },
    ],
    [
      'forbidden with a rule',
      new ForbiddenError('No.', { rule: 'systemJobType' }),
      403,
      { code: 'FORBIDDEN', message: 'No.', details: { rule: 'systemJobType' } },
    ],
    ['not found, default message', new NotFoundError(), 404, { code: 'NOT_FOUND', message: 'Not found.' }],
    [
      'not found, own message',
      new NotFoundError('No such job.'),
      404,
      { code: 'NOT_FOUND', message: 'No such job.' },
    ],
    [
      'an invalid state names the status',
      new InvalidStateError('Only failed jobs can be retried.', 'completed'),
      409,
      {
        code: 'INVALID_STATE',
        message: 'Only failed jobs can be retried.',
        details: { status: 'completed' },
      },
    ],
    [
      'an idempotency conflict',
      new IdempotencyConflictError(),
      409,
      {
        code: 'IDEMPOTENCY_CONFLICT',
        message: 'This Idempotency-Key was already used with a different request body.',
      },
    ],
    [
      'a payload too large',
      new PayloadTooLargeError('Too big.'),
      413,
      { code: 'PAYLOAD_TOO_LARGE', message: 'Too big.' },
    ],
    [
      'a service unavailable without details',
      new ServiceUnavailableError('Paused.'),
      503,
      { code: 'SERVICE_UNAVAILABLE', message: 'Paused.' },
    ],
    [
      'a service unavailable with details',
      new ServiceUnavailableError('Paused.', { priority: 'low' }),
      503,
      { code: 'SERVICE_UNAVAILABLE', message: 'Paused.', details: { priority: 'low' } },
    ],
  ])('%s', (_name, error, statusCode, body) => {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(error.constructor.name);
    expect(toErrorBody(error)).toEqual({ statusCode, body: { error: body }, headers: {} });
  });

  test('a rate limit says the limit and when to retry, in the body and the Retry-After header', () => {
    const error = new RateLimitedError(17, 120);
    expect(error.name).toBe('RateLimitedError');
    expect(toErrorBody(error)).toEqual({
      statusCode: 429,
      body: {
        error: {
          code: 'RATE_LIMITED',
          message: 'Too many jobs submitted: the limit is 120 per minute.',
          details: { retryAfterSeconds: 17, limitPerMinute: 120 },
        },
      },
      headers: { 'retry-after': '17' },
    });
  });

  test('a used-up daily quota names the quota and renews at midnight UTC', () => {
    expect(toErrorBody(new QuotaExceededError('emails', 100, 3600))).toEqual({
      statusCode: 429,
      body: {
        error: {
          code: 'RATE_LIMITED',
          message: 'The daily emails quota of 100 is used up; it renews at 00:00 UTC.',
          details: { quota: 'emails', limitPerDay: 100, retryAfterSeconds: 3600 },
        },
      },
      headers: { 'retry-after': '3600' },
    });
  });

  test('the headers of the body are a copy: changing them leaves the error as it was', () => {
    const error = new RateLimitedError(5, 10);
    const { headers } = toErrorBody(error);
    headers['retry-after'] = '999';
    expect(error.headers).toEqual({ 'retry-after': '5' });
  });

  test('an AppError with falsy but defined details keeps them', () => {
    expect(toErrorBody(new AppError(418, 'TEAPOT', 'Short and stout.', 0)).body).toEqual({
      error: { code: 'TEAPOT', message: 'Short and stout.', details: 0 },
    });
  });

  test('DynamoDB refusing what it was asked to store is the client’s fault: a 400 that says why', () => {
    const expected = {
      statusCode: 400,
      body: { error: { code: 'VALIDATION_ERROR', message: STORE_MESSAGE } },
      headers: {},
    };
    expect(
      toErrorBody(named('ValidationException', 'Item size has exceeded the maximum allowed size')),
    ).toEqual(expected);
    expect(toErrorBody(cancelled([{ Code: 'None' }, { Code: 'ValidationError' }]))).toEqual(expected);
  });

  test('anything else is a 500 that reveals nothing of the error', () => {
    expect(toErrorBody(new Error('connect ECONNREFUSED 10.0.0.1:443'))).toEqual(INTERNAL);
    expect(toErrorBody('a thrown string')).toEqual(INTERNAL);
    expect(toErrorBody(undefined)).toEqual(INTERNAL);
    expect(toErrorBody(cancelled([{ Code: 'ConditionalCheckFailed' }]))).toEqual(INTERNAL);
  });
});

describe('isStoreValidationError', () => {
  test.each([
    ['a ValidationException', named('ValidationException'), true],
    ['a transaction cancelled for a validation error', cancelled([{ Code: 'ValidationError' }]), true],
    [
      'a transaction cancelled for a validation error among others',
      cancelled([{ Code: 'None' }, {}, { Code: 'ValidationError' }]),
      true,
    ],
    ['a transaction cancelled by a failed condition', cancelled([{ Code: 'ConditionalCheckFailed' }]), false],
    ['a transaction cancelled without reasons', cancelled(), false],
    ['another store error', named('ProvisionedThroughputExceededException'), false],
    [
      'another error carrying validation reasons',
      Object.assign(named('ConditionalCheckFailedException'), {
        CancellationReasons: [{ Code: 'ValidationError' }],
      }),
      false,
    ],
    ['a plain object named like the store error', { name: 'ValidationException' }, false],
    ['a string', 'ValidationException', false],
    ['null', null, false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isStoreValidationError(error)).toBe(expected);
  });
});
