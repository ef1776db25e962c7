import { decodeTime } from 'ulidx';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../lambdas/core/errors';
import { MAX_ATTEMPTS_LIMIT, type NewJobOptions, newJob } from '../../../lambdas/core/new-job';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const options = (overrides: Partial<NewJobOptions> = {}): NewJobOptions => ({
  userId: 'alice',
  now: NOW,
  maxDelaySeconds: 3600,
  ...overrides,
});
const SIMULATE_DEFAULTS = { durationMs: 0, steps: 1, failAttempts: 0, failWith: 'retryable', crash: false };
const simulate = (extra: Record<string, unknown> = {}) => ({
  type: 'system.simulate',
  payload: {},
  ...extra,
});

const thrown = (run: () => unknown): Error & { code?: string; details?: unknown; statusCode?: number } => {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

describe('newJob: the stored job of an accepted submission', () => {
  test('a plain submission is queued now, with the type’s defaults and its payload parsed', () => {
    const job = newJob(simulate(), options());
    expect(job).toStrictEqual({
      jobId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      userId: 'alice',
      type: 'system.simulate',
      status: 'queued',
      priority: 'normal',
      priorityValue: 5,
      payload: SIMULATE_DEFAULTS,
      attempts: 0,
      maxAttempts: 3,
      createdAt: '2026-11-23T10:00:00.000Z',
      updatedAt: '2026-11-23T10:00:00.000Z',
      events: [{ at: '2026-11-23T10:00:00.000Z', from: null, to: 'queued', attempt: 0 }],
      version: 1,
    });
    expect(decodeTime(job.jobId)).toBe(NOW.getTime());
  });

  test('ids of one instant still sort in submission order', () => {
    const first = newJob(simulate(), options()).jobId;
    const second = newJob(simulate(), options()).jobId;
    expect(second > first).toBe(true);
  });

  test('optional fields are kept as sent', () => {
    const job = newJob(
      simulate({
        correlationId: 'order-7',
        entity: { name: 'order', id: '7' },
        metadata: { source: 'checkout' },
        maxAttempts: 7,
      }),
      options({ defaultCorrelationId: 'gateway-request' }),
    );
    expect(job).toMatchObject({
      correlationId: 'order-7',
      entity: { name: 'order', id: '7' },
      metadata: { source: 'checkout' },
      maxAttempts: 7,
    });
  });

  test('without its own correlationId the job takes the default one', () => {
    expect(newJob(simulate(), options({ defaultCorrelationId: 'gateway-request' })).correlationId).toBe(
      'gateway-request',
    );
  });

  test('an admin’s job is marked so the worker can check admin-only options again', () => {
    expect(newJob(simulate(), options({ isAdmin: true })).submittedByAdmin).toBe(true);
    expect(newJob(simulate(), options({ isAdmin: false }))).not.toHaveProperty('submittedByAdmin');
  });

  test.each([
    ['a numeric priority', 12, 'high', 12],
    ['the highest value', 20, 'critical', 20],
    ['the lowest value', 1, 'low', 1],
    ['a named priority', 'critical', 'critical', 20],
    ['a named low priority', 'low', 'low', 1],
  ])('%s (%j) → band %s, value %i', (_name, priority, band, value) => {
    expect(newJob(simulate({ priority }), options())).toMatchObject({ priority: band, priorityValue: value });
  });

  test('without a priority the type’s default applies', () => {
    expect(newJob({ type: 'analytics.rollup', payload: {} }, options({ isAdmin: true }))).toMatchObject({
      priority: 'low',
      priorityValue: 1,
      maxAttempts: 3,
    });
  });

  test.each([[0], [21], [2.5], ['urgent']])('priority %j is refused', (priority) => {
    expect(() => newJob(simulate({ priority }), options())).toThrow(ValidationError);
  });

  test.each([[0], [MAX_ATTEMPTS_LIMIT + 1]])('maxAttempts %i is refused', (maxAttempts) => {
    expect(() => newJob(simulate({ maxAttempts }), options())).toThrow(ValidationError);
  });

  test('maxAttempts up to the limit is accepted', () => {
    expect(newJob(simulate({ maxAttempts: MAX_ATTEMPTS_LIMIT }), options()).maxAttempts).toBe(
      MAX_ATTEMPTS_LIMIT,
    );
  });
});

describe('newJob: delays', () => {
  test('delaySeconds makes a delayed job due that many seconds later', () => {
    const job = newJob(simulate({ delaySeconds: 90 }), options());
    expect(job).toMatchObject({ status: 'delayed', runAt: '2026-11-23T10:01:30.000Z' });
    expect(job.events).toEqual([{ at: '2026-11-23T10:00:00.000Z', from: null, to: 'delayed', attempt: 0 }]);
  });

  test('a delay of 0 is no delay', () => {
    const job = newJob(simulate({ delaySeconds: 0 }), options());
    expect(job.status).toBe('queued');
    expect(job).not.toHaveProperty('runAt');
  });

  test('runAt with an offset is stored in UTC', () => {
    expect(newJob(simulate({ runAt: '2026-11-23T12:30:00+02:00' }), options())).toMatchObject({
      status: 'delayed',
      runAt: '2026-11-23T10:30:00.000Z',
    });
  });

  test('a runAt in the past runs now', () => {
    const job = newJob(simulate({ runAt: '2026-11-22T10:00:00Z' }), options());
    expect(job.status).toBe('queued');
    expect(job).not.toHaveProperty('runAt');
  });

  test('exactly the longest delay is accepted', () => {
    expect(newJob(simulate({ delaySeconds: 3600 }), options()).runAt).toBe('2026-11-23T11:00:00.000Z');
    expect(newJob(simulate({ runAt: '2026-11-23T11:00:00Z' }), options()).runAt).toBe(
      '2026-11-23T11:00:00.000Z',
    );
  });

  test.each([
    ['delaySeconds', { delaySeconds: 3601 }],
    ['runAt', { runAt: '2026-11-23T11:00:00.001Z' }],
  ])('a longer delay is refused, naming %s and the limit', (field, extra) => {
    const error = thrown(() => newJob(simulate(extra), options()));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('The delay is too long.');
    expect(error.details).toEqual({ fields: [{ field, message: 'must be at most 3600 seconds from now' }] });
  });

  test('delaySeconds and runAt together are refused', () => {
    const error = thrown(() =>
      newJob(simulate({ delaySeconds: 5, runAt: '2026-11-23T10:30:00Z' }), options()),
    );
    expect(error.message).toBe('The job submission is invalid.');
    expect(error.details).toEqual({
      fields: [{ field: 'runAt', message: 'give delaySeconds or runAt, not both' }],
    });
  });
});

describe('newJob: refusals', () => {
  test('an unknown type names the field', () => {
    const error = thrown(() => newJob({ type: 'mine.craft', payload: {} }, options()));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('Unknown job type "mine.craft".');
    expect(error.details).toEqual({ fields: [{ field: 'type', message: 'not a registered job type' }] });
  });

  test('a payload the type refuses names its fields under payload', () => {
    const error = thrown(() => newJob(simulate({ payload: { steps: 0 } }), options()));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('The payload is invalid for system.simulate.');
    expect(error.details).toEqual({ fields: [{ field: 'payload.steps', message: expect.any(String) }] });
  });

  test('a submission that is not an object is about the (body)', () => {
    for (const body of [null, 'text', [simulate()]]) {
      const error = thrown(() => newJob(body, options()));
      expect(error.message).toBe('The job submission is invalid.');
      expect(error.details).toEqual({ fields: [{ field: '(body)', message: expect.any(String) }] });
    }
  });

  test('a system type is refused to users and accepted from admins', () => {
    const error = thrown(() => newJob({ type: 'analytics.rollup', payload: {} }, options()));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('analytics.rollup is a system job type: the stack submits it, users cannot.');
    expect(error.details).toEqual({ rule: 'systemJobType' });
    expect(newJob({ type: 'analytics.rollup', payload: {} }, options({ isAdmin: true })).type).toBe(
      'analytics.rollup',
    );
  });

  test('the type’s own rule sees whether the caller is an admin', () => {
    const crash = simulate({ payload: { crash: true } });
    const error = thrown(() => newJob(crash, options()));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.details).toEqual({ rule: 'adminOnlyOption' });
    expect(newJob(crash, options({ isAdmin: true })).payload).toMatchObject({ crash: true });
  });

  test('the type’s own rule sees who the caller is', () => {
    const extract = (userId: string) =>
      newJob(
        { type: 'resume.extract', payload: { fileKey: 'uploads/alice/01J/cv.pdf' } },
        options({ userId }),
      );
    expect(extract('alice').payload).toEqual({ fileKey: 'uploads/alice/01J/cv.pdf' });
    expect(() => extract('bob')).toThrow(NotFoundError);
  });

  test('a type that versions entities records what the job supersedes', () => {
    const job = newJob(
      {
        type: 'data.sync',
        payload: { entity: { name: 'order', id: '42' }, version: 3, url: 'https://hooks.example.com/sync' },
      },
      options(),
    );
    expect(job.supersedes).toEqual({ key: 'alice#order#42', version: 3 });
    expect(newJob(simulate(), options())).not.toHaveProperty('supersedes');
  });

  test('stored JSON fields too deep or with inexact numbers are refused before parsing, each named', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 20; level += 1) deep = { d: deep };
    const error = thrown(() =>
      newJob(
        simulate({ payload: { result: deep }, metadata: { big: 2 ** 60 }, entity: { name: 'n', id: 'i' } }),
        options(),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('The job submission is invalid.');
    const fields = (error.details as { fields: { field: string; message: string }[] }).fields;
    expect(fields.map((issue) => issue.field)).toEqual([`payload.result${'.d'.repeat(15)}`, 'metadata.big']);
    expect(fields[0]?.message).toBe('nests deeper than 16 levels');
  });
});
