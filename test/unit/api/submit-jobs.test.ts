import { createHash } from 'node:crypto';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { requestHash, validateIdempotencyKey } from '../../../lambdas/api/submit-jobs';
import { ValidationError } from '../../../lambdas/core/errors';
import { logger } from '../../../lambdas/core/observability';
import { apiDependencies, JOB_ID, NOW, storedJob } from '../support/api-dependencies';
import { transactionCancelled } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  dynamo.reset();
  jest.restoreAllMocks();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const simulate = (durationMs: number) => ({ type: 'system.simulate', payload: { durationMs } });
const email = (to: string[]) => ({ type: 'email.send', payload: { to, subject: 'Hi', text: 'Hello' } });

const submit = (body: unknown, headers?: Record<string, string>) =>
  route(httpEvent('POST /v1/jobs', '/v1/jobs', { body, headers }), apiDependencies());
const batch = (body: unknown, headers?: Record<string, string>) =>
  route(httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', { body, headers }), apiDependencies());

/** Counter updates (rate window, daily quotas) by key. */
const counters = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.UpdateExpression).startsWith('ADD #count'))
    .map((input) => [input.Key?.PK, input.ExpressionAttributeValues?.[':count']]);

describe('requestHash', () => {
  test.each([
    ['null values', { a: null, b: [null] }, '{"a":null,"b":[null]}'],
    ['undefined fields left out', { a: 1, b: undefined, c: { d: undefined } }, '{"a":1,"c":{}}'],
    ['keys sorted, whatever their order', { c: 3, b: 2, a: 1, d: 4 }, '{"a":1,"b":2,"c":3,"d":4}'],
    ['keys that need escaping', { 'q"uote': 1, 'back\\slash': 2 }, '{"back\\\\slash":2,"q\\"uote":1}'],
    ['arrays in arrays, in order', [[2, 1], [], ['x', 'y']], '[[2,1],[],["x","y"]]'],
    [
      'strings, numbers and booleans',
      { s: 'ab', n: 1.5, t: true, f: false },
      '{"f":false,"n":1.5,"s":"ab","t":true}',
    ],
    ['a bare string', 'text', '"text"'],
  ])('is the SHA-256 of canonical JSON: %s', (_case, body, canonical) => {
    expect(requestHash(body)).toBe(sha256(canonical));
  });

  test('keys are ordered by code unit, so upper case comes first', () => {
    expect(requestHash({ b: 1, B: 2, a: 3 })).toBe(sha256('{"B":2,"a":3,"b":1}'));
  });
});

describe('validateIdempotencyKey', () => {
  test('no header means no key', () => {
    expect(validateIdempotencyKey(undefined)).toBeUndefined();
  });

  test.each([1, 128])('a key of %i characters is used as is', (length) => {
    expect(validateIdempotencyKey('k'.repeat(length))).toBe('k'.repeat(length));
  });

  test.each([0, 129])('a key of %i characters is a ValidationError naming the header', (length) => {
    const attempt = () => validateIdempotencyKey('k'.repeat(length));
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow('The Idempotency-Key header is invalid.');
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationError).details).toEqual({
        fields: [{ field: 'Idempotency-Key', message: 'must be 1 to 128 characters' }],
      });
    }
  });

  test('an empty Idempotency-Key header is a 400 before anything is read or written', async () => {
    const result = await submit(simulate(1), { 'Idempotency-Key': '' });
    expect(result.statusCode).toBe(400);
    expect(parse(result.body)).toEqual({
      error: {
        code: 'VALIDATION_ERROR',
        message: 'The Idempotency-Key header is invalid.',
        details: { fields: [{ field: 'Idempotency-Key', message: 'must be 1 to 128 characters' }] },
      },
    });
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('POST /v1/jobs with an Idempotency-Key', () => {
  test('a first use counts against the rate limit and the daily quota, like any submission', async () => {
    dynamo.on(GetCommand).resolves({});
    const result = await submit(email(['a@example.com', 'b@example.com']), { 'Idempotency-Key': 'mail-1' });
    expect(result.statusCode).toBe(202);
    expect(counters()).toEqual([
      ['RATE#user-1', 1],
      ['QUOTA#emails#user-1', 2],
    ]);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      Key: { PK: 'IDEM#user-1#mail-1', SK: 'IDEM' },
    });
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  test('a replay answers the stored job (200) and counts nothing', async () => {
    const body = simulate(5);
    dynamo
      .on(GetCommand, { Key: { PK: 'IDEM#user-1#again', SK: 'IDEM' } })
      .resolves({ Item: { jobId: JOB_ID, requestHash: requestHash(body) } })
      .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
      .resolves({ Item: storedJob({ status: 'completed', result: { ok: 1 } }) });
    const result = await submit(body, { 'Idempotency-Key': 'again' });
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toMatchObject({ jobId: JOB_ID, status: 'completed', result: { ok: 1 } });
    expect(counters()).toEqual([]);
  });

  test('a conflicting replay is 409 with the contract message', async () => {
    dynamo.on(GetCommand).resolves({ Item: { jobId: JOB_ID, requestHash: 'other' } });
    const result = await submit(simulate(5), { 'Idempotency-Key': 'again' });
    expect(parse(result.body)).toEqual({
      error: {
        code: 'IDEMPOTENCY_CONFLICT',
        message: 'This Idempotency-Key was already used with a different request body.',
      },
    });
    expect(counters()).toEqual([]);
  });
});

describe('POST /v1/jobs/batch', () => {
  const invalidBatch = {
    code: 'VALIDATION_ERROR',
    message: 'The batch is invalid.',
    details: { fields: [{ field: 'jobs', message: 'must be an array of 1 to 100 job submissions' }] },
  };

  test.each([
    ['null', null],
    ['an array body', [simulate(1)]],
    ['no jobs field', {}],
    ['jobs that is an object', { jobs: { 0: simulate(1) } }],
    ['an empty jobs array', { jobs: [] }],
    ['101 jobs', { jobs: Array.from({ length: 101 }, () => simulate(1)) }],
  ])('%s is 400 naming jobs; nothing is written', async (_case, body) => {
    const result = await batch(body);
    expect(result.statusCode).toBe(400);
    expect(parse(result.body)).toEqual({ error: invalidBatch });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('fields besides jobs are each named as unknown', async () => {
    const result = await batch({ jobs: [simulate(1)], priority: 'high', dryRun: true });
    expect(result.statusCode).toBe(400);
    expect(parse(result.body)).toEqual({
      error: {
        code: 'VALIDATION_ERROR',
        message: 'The batch is invalid.',
        details: {
          fields: [
            { field: 'priority', message: 'unknown field' },
            { field: 'dryRun', message: 'unknown field' },
          ],
        },
      },
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('exactly 100 jobs are accepted, counted as 100 in one update, written 25 to a request', async () => {
    dynamo.on(BatchWriteCommand).resolves({});
    const result = await batch({ jobs: Array.from({ length: 100 }, (_, n) => simulate(n)) });
    expect(result.statusCode).toBe(202);
    const { jobs } = parse(result.body);
    expect(jobs).toHaveLength(100);
    expect(jobs.map((job: { payload: { durationMs: number } }) => job.payload.durationMs)).toEqual(
      Array.from({ length: 100 }, (_, n) => n),
    );
    expect(counters()).toEqual([['RATE#user-1', 100]]);
    const writes = dynamo.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems);
    expect(writes.map((request) => request?.['jobs-test']?.length)).toEqual([25, 25, 25, 25]);
    expect(writes[0]?.['jobs-test']?.[0]?.PutRequest?.Item).toMatchObject({
      PK: `JOB#${jobs[0].jobId}`,
      SK: 'JOB',
      GSI1PK: 'USER#user-1',
      GSI1SK: `${jobs[0].createdAt}#${jobs[0].jobId}`,
      status: 'queued',
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('an invalid entry answers its own error body at its index; the valid ones are jobs', async () => {
    const result = await batch({ jobs: [simulate(1), { type: 'system.simulate' }, simulate(3)] });
    const { jobs } = parse(result.body);
    expect(jobs).toHaveLength(3);
    expect(jobs[0]).toMatchObject({ status: 'queued', payload: { durationMs: 1 } });
    expect(jobs[0]).not.toHaveProperty('job');
    expect(jobs[1]).toEqual({
      error: {
        code: 'VALIDATION_ERROR',
        message: expect.any(String),
        details: { fields: [expect.objectContaining({ field: 'payload' })] },
      },
    });
    expect(jobs[2]).toMatchObject({ status: 'queued', payload: { durationMs: 3 } });
    expect(counters()).toEqual([['RATE#user-1', 2]]);
  });

  test('with an Idempotency-Key, entry i uses <key>#i: replays and conflicts answer at once, only new ones count', async () => {
    const entries = [simulate(10), simulate(11), simulate(12)];
    dynamo
      .on(GetCommand, { Key: { PK: 'IDEM#user-1#b-7#0', SK: 'IDEM' } })
      .resolves({ Item: { jobId: JOB_ID, requestHash: requestHash(entries[0]) } })
      .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
      .resolves({ Item: storedJob({ payload: { durationMs: 10 } }) })
      .on(GetCommand, { Key: { PK: 'IDEM#user-1#b-7#1', SK: 'IDEM' } })
      .resolves({ Item: { jobId: JOB_ID, requestHash: 'another body' } })
      .on(GetCommand, { Key: { PK: 'IDEM#user-1#b-7#2', SK: 'IDEM' } })
      .resolves({});

    const result = await batch({ jobs: entries }, { 'Idempotency-Key': 'b-7' });

    expect(result.statusCode).toBe(202);
    const { jobs } = parse(result.body);
    expect(jobs[0]).toMatchObject({ jobId: JOB_ID, payload: { durationMs: 10 } });
    expect(jobs[1]).toEqual({
      error: {
        code: 'IDEMPOTENCY_CONFLICT',
        message: 'This Idempotency-Key was already used with a different request body.',
      },
    });
    expect(jobs[2]).toMatchObject({ status: 'queued', payload: { durationMs: 12 } });
    expect(jobs[2].jobId).not.toBe(JOB_ID);
    expect(counters()).toEqual([['RATE#user-1', 1]]);
    const writes = dynamo.commandCalls(TransactWriteCommand);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.args[0].input.TransactItems?.[0]?.Put?.Item).toMatchObject({
      PK: 'IDEM#user-1#b-7#2',
      requestHash: requestHash(entries[2]),
    });
  });

  test('a batch of email jobs draws its recipients from the daily quota; an admin’s draws nothing', async () => {
    const body = { jobs: [email(['a@example.com']), email(['b@example.com', 'c@example.com'])] };
    await batch(body);
    expect(counters()).toEqual([
      ['RATE#user-1', 2],
      ['QUOTA#emails#user-1', 3],
    ]);
    dynamo.reset();
    await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', { body, user: 'admin-1', groups: '[admin]' }),
      apiDependencies(),
    );
    expect(counters()).toEqual([['RATE#admin-1', 2]]);
  });

  describe('an entry the store refuses fails alone', () => {
    const storeError = (name: string, fault: 'client' | 'server') =>
      new DynamoDBServiceException({ name, $fault: fault, $metadata: {}, message: 'refused' });

    test('a ValidationException is a VALIDATION_ERROR for its entry, logged as a warning', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
      const refusal = storeError('ValidationException', 'client');
      dynamo
        .on(BatchWriteCommand)
        .rejects(refusal)
        .on(PutCommand)
        .resolves({})
        .on(PutCommand, { Item: { payload: { durationMs: 2 } } })
        .rejects(refusal);

      const result = await batch({ jobs: [simulate(1), simulate(2)] });

      expect(result.statusCode).toBe(202);
      const { jobs } = parse(result.body);
      expect(jobs[0]).toMatchObject({ status: 'queued', payload: { durationMs: 1 } });
      expect(jobs[1]).toEqual({
        error: {
          code: 'VALIDATION_ERROR',
          message:
            'The request could not be stored: it is too large or too deeply nested. Make it smaller or flatter.',
        },
      });
      expect(warn).toHaveBeenCalledWith('The table refused a batch entry', { index: 1, error: refusal });
      expect(error).not.toHaveBeenCalled();
    });

    test('any other failure is an INTERNAL_ERROR for its entry, logged as an error', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
      const failure = storeError('InternalServerError', 'server');
      dynamo
        .on(BatchWriteCommand)
        .rejects(failure)
        .on(PutCommand)
        .resolves({})
        .on(PutCommand, { Item: { payload: { durationMs: 1 } } })
        .rejects(failure);

      const { jobs } = parse((await batch({ jobs: [simulate(1), simulate(2)] })).body);

      expect(jobs[0].error.code).toBe('INTERNAL_ERROR');
      expect(jobs[1]).toMatchObject({ status: 'queued' });
      expect(error).toHaveBeenCalledWith('Could not save a batch entry', { index: 0, error: failure });
      expect(warn).not.toHaveBeenCalled();
    });

    test('a key another request took meanwhile is a conflict for its entry, not logged', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
      dynamo
        .on(GetCommand)
        .resolvesOnce({})
        .resolves({ Item: { jobId: JOB_ID, requestHash: 'the winner’s body' } })
        .on(TransactWriteCommand)
        .rejects(transactionCancelled());

      const { jobs } = parse((await batch({ jobs: [simulate(1)] }, { 'Idempotency-Key': 'race' })).body);

      expect(jobs).toEqual([
        {
          error: {
            code: 'IDEMPOTENCY_CONFLICT',
            message: 'This Idempotency-Key was already used with a different request body.',
          },
        },
      ]);
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
    });
  });
});

describe('jobs of a user with a user-wide WebSocket subscription are born watched', () => {
  const watchQuery = {
    TableName: 'jobs-test',
    KeyConditionExpression: 'PK = :pk',
    FilterExpression: 'expiresAt > :now',
    ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1', ':now': Math.floor(NOW.getTime() / 1000) },
    Select: 'COUNT',
  };
  const savedItems = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);

  test('a single submit asks once and saves the job watched, which the answer does not show', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 1 });
    const result = await submit(simulate(1));
    expect(result.statusCode).toBe(202);
    expect(dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([watchQuery]);
    expect(savedItems()).toEqual([expect.objectContaining({ watched: true })]);
    expect(parse(result.body)).not.toHaveProperty('watched');
  });

  test('nobody watching: the job is saved without the flag (the notifier never hears of it)', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 0 });
    await submit(simulate(1));
    expect(savedItems()[0]).not.toHaveProperty('watched');
  });

  test('a batch asks once for all its jobs', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 1 });
    const result = await batch({ jobs: [simulate(1), simulate(2), simulate(3)] });
    expect(result.statusCode).toBe(202);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(savedItems().map((item) => item?.watched)).toEqual([true, true, true]);
  });
});
