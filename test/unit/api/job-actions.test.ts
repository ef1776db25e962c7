import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, JOB_ID, NOW, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';
import { decodeUpdate } from '../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const AT = NOW.toISOString();
const JOB_KEY = { PK: `JOB#${JOB_ID}`, SK: 'JOB' };
/** Failed and cancelled jobs expire after failedDays (30 in the test dependencies). */
const TERMINAL_EXPIRY = NOW.getTime() / 1000 + 30 * 24 * 3600;

const action = (name: 'cancel' | 'retry', user = 'user-1') =>
  route(
    httpEvent(`POST /v1/jobs/{jobId}/${name}`, `/v1/jobs/${JOB_ID}/${name}`, {
      pathParameters: { jobId: JOB_ID },
      user,
    }),
    apiDependencies(),
  );

/** Writes to the job item itself (the retry's rate counter is another item). */
const jobWrites = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.PK === JOB_KEY.PK);

const onJobWrite = () => dynamo.on(UpdateCommand, { Key: JOB_KEY });

describe('cancel', () => {
  test.each([
    ['queued', 0],
    ['delayed', 0],
    ['retrying', 2],
  ])(
    'a %s job is moved to cancelled in one write conditional on its status and attempts',
    async (status, attempts) => {
      dynamo
        .on(GetCommand)
        .resolves({ Item: storedJob({ status, attempts, runAt: '2026-11-23T11:00:00.000Z' }) });
      onJobWrite().resolves({ Attributes: storedJob({ status: 'cancelled', attempts, completedAt: AT }) });

      const result = await action('cancel');

      expect(result.statusCode).toBe(202);
      expect(parse(result.body)).toMatchObject({ jobId: JOB_ID, status: 'cancelled', completedAt: AT });
      const writes = jobWrites();
      expect(writes).toHaveLength(1);
      const update = decodeUpdate(writes[0]);
      expect(update.condition).toBe(
        'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
      );
      expect(update.values).toMatchObject({ ':from0': status, ':expectedAttempts': attempts });
      expect(update.set).toMatchObject({
        status: 'cancelled',
        updatedAt: AT,
        completedAt: AT,
        expiresAt: TERMINAL_EXPIRY,
      });
      expect(update.remove).toContain('runAt');
      expect(update.values[':events']).toEqual([
        { at: AT, from: status, to: 'cancelled', attempt: attempts },
      ]);
    },
  );

  test('a running job gets cancelRequested, stamped with the clock, and stays processing', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
    onJobWrite().resolves({
      Attributes: storedJob({ status: 'processing', attempts: 1, cancelRequested: true }),
    });

    const result = await action('cancel');

    expect(result.statusCode).toBe(202);
    expect(parse(result.body)).toMatchObject({ status: 'processing', cancelRequested: true });
    const [write, ...more] = jobWrites();
    expect(more).toHaveLength(0);
    expect(write?.ConditionExpression).toBe('attribute_exists(PK) AND #status = :processing');
    expect(write?.ExpressionAttributeValues).toEqual({
      ':true': true,
      ':at': AT,
      ':processing': 'processing',
      ':one': 1,
    });
  });

  test('a running job already asked to stop answers as it is, without another write', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ Item: storedJob({ status: 'processing', attempts: 1, cancelRequested: true }) });

    const result = await action('cancel');

    expect(result.statusCode).toBe(202);
    expect(parse(result.body)).toMatchObject({ status: 'processing', cancelRequested: true, attempts: 1 });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test.each(['completed', 'failed', 'cancelled'])(
    'a %s job is 409 INVALID_STATE naming its status',
    async (status) => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ status }) });

      const result = await action('cancel');

      expect(result.statusCode).toBe(409);
      expect(parse(result.body)).toEqual({
        error: {
          code: 'INVALID_STATE',
          message: `A ${status} job cannot be cancelled.`,
          details: { status },
        },
      });
      expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    },
  );

  describe('when the job changes between the read and the write', () => {
    test('a queued job a worker claimed meanwhile is read again and asked to stop instead', async () => {
      dynamo
        .on(GetCommand)
        .resolvesOnce({ Item: storedJob({ status: 'queued' }) })
        .resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
      onJobWrite()
        .rejectsOnce(conditionFailed())
        .resolves({ Attributes: storedJob({ status: 'processing', attempts: 1, cancelRequested: true }) });

      const result = await action('cancel');

      expect(result.statusCode).toBe(202);
      expect(parse(result.body)).toMatchObject({ status: 'processing', attempts: 1, cancelRequested: true });
      const [transition, request, ...more] = jobWrites();
      expect(more).toHaveLength(0);
      expect(transition?.ExpressionAttributeValues).toMatchObject({ ':from0': 'queued' });
      expect(request?.ExpressionAttributeValues).toMatchObject({ ':processing': 'processing', ':at': AT });
    });

    test('a running job that finished meanwhile is 409 naming its new status', async () => {
      dynamo
        .on(GetCommand)
        .resolvesOnce({ Item: storedJob({ status: 'processing', attempts: 1 }) })
        .resolves({ Item: storedJob({ status: 'completed', attempts: 1 }) });
      onJobWrite().rejects(conditionFailed());

      const result = await action('cancel');

      expect(parse(result.body)).toEqual({
        error: {
          code: 'INVALID_STATE',
          message: 'A completed job cannot be cancelled.',
          details: { status: 'completed' },
        },
      });
      expect(jobWrites()).toHaveLength(1);
    });

    test('a running job someone else asked to stop meanwhile answers as it now is', async () => {
      dynamo
        .on(GetCommand)
        .resolvesOnce({ Item: storedJob({ status: 'processing', attempts: 1 }) })
        .resolves({ Item: storedJob({ status: 'processing', attempts: 1, cancelRequested: true }) });
      onJobWrite().rejects(conditionFailed());

      const result = await action('cancel');

      expect(result.statusCode).toBe(202);
      expect(parse(result.body)).toMatchObject({ status: 'processing', cancelRequested: true });
      expect(jobWrites()).toHaveLength(1);
    });

    test('a job that disappeared meanwhile is 404', async () => {
      dynamo
        .on(GetCommand)
        .resolvesOnce({ Item: storedJob({ status: 'queued' }) })
        .resolves({});
      onJobWrite().rejects(conditionFailed());

      const result = await action('cancel');

      expect(result.statusCode).toBe(404);
      expect(parse(result.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'No such job.' } });
    });

    test('the third try still counts: two lost races, then the write goes through', async () => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'queued' }) });
      onJobWrite()
        .rejectsOnce(conditionFailed())
        .rejectsOnce(conditionFailed())
        .resolves({ Attributes: storedJob({ status: 'cancelled', completedAt: AT }) });

      const result = await action('cancel');

      expect(result.statusCode).toBe(202);
      expect(parse(result.body).status).toBe('cancelled');
      expect(jobWrites()).toHaveLength(3);
    });

    test('after three lost races it gives up with 409 and the status last seen', async () => {
      dynamo
        .on(GetCommand)
        .resolvesOnce({ Item: storedJob({ status: 'queued' }) })
        .resolves({ Item: storedJob({ status: 'delayed', runAt: '2026-11-23T11:00:00.000Z' }) });
      onJobWrite().rejects(conditionFailed());

      const result = await action('cancel');

      expect(result.statusCode).toBe(409);
      expect(parse(result.body)).toEqual({
        error: {
          code: 'INVALID_STATE',
          message: 'The job kept changing; try again.',
          details: { status: 'delayed' },
        },
      });
      const writes = jobWrites();
      expect(writes.map((input) => input.ExpressionAttributeValues?.[':from0'])).toEqual([
        'queued',
        'delayed',
        'delayed',
      ]);
    });
  });
});

describe('retry', () => {
  const PREVIOUS_RUN_FIELDS = [
    'error',
    'result',
    'resultRef',
    'progress',
    'items',
    'startedAt',
    'completedAt',
    'durationMs',
    'estimatedCompletionAt',
    'cancelRequested',
    'runAt',
  ];

  test.each([
    ['failed', 3],
    ['cancelled', 1],
  ])(
    'a %s job is queued again from attempt 0, without anything of its previous run',
    async (status, attempts) => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ status, attempts }) });
      dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'queued', attempts: 0 }) });

      const result = await action('retry');

      expect(result.statusCode).toBe(202);
      expect(parse(result.body)).toMatchObject({ jobId: JOB_ID, status: 'queued', attempts: 0 });
      const rate = dynamo
        .commandCalls(UpdateCommand)
        .map((call) => call.args[0].input)
        .filter((input) => input.Key?.PK === 'RATE#user-1');
      expect(rate).toHaveLength(1);
      expect(rate[0]?.ExpressionAttributeValues?.[':count']).toBe(1);
      const writes = jobWrites();
      expect(writes).toHaveLength(1);
      const update = decodeUpdate(writes[0]);
      expect(update.condition).toBe(
        'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
      );
      expect(update.values).toMatchObject({ ':from0': status, ':expectedAttempts': attempts });
      expect(update.set).toMatchObject({ status: 'queued', attempts: 0, updatedAt: AT });
      expect(update.remove).toEqual(expect.arrayContaining([...PREVIOUS_RUN_FIELDS, 'expiresAt']));
      expect(update.values[':events']).toEqual([{ at: AT, from: status, to: 'queued', attempt: 0 }]);
    },
  );

  test.each(['queued', 'delayed', 'processing', 'retrying', 'completed'])(
    'a %s job is 409 INVALID_STATE; nothing is counted or written',
    async (status) => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ status }) });

      const result = await action('retry');

      expect(result.statusCode).toBe(409);
      expect(parse(result.body)).toEqual({
        error: {
          code: 'INVALID_STATE',
          message: `Only failed or cancelled jobs can be retried; this one is ${status}.`,
          details: { status },
        },
      });
      expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    },
  );

  test('a job retried by someone else meanwhile is 409 naming its new status', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: storedJob({ status: 'failed', attempts: 3 }) })
      .resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
    onJobWrite().rejects(conditionFailed());

    const result = await action('retry');

    expect(result.statusCode).toBe(409);
    expect(parse(result.body)).toEqual({
      error: {
        code: 'INVALID_STATE',
        message: 'The job changed meanwhile and is now processing.',
        details: { status: 'processing' },
      },
    });
  });

  test('a job gone after a lost race names the status it was read with', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: storedJob({ status: 'failed', attempts: 3 }) })
      .resolves({});
    onJobWrite().rejects(conditionFailed());

    const result = await action('retry');

    expect(result.statusCode).toBe(409);
    expect(parse(result.body)).toEqual({
      error: {
        code: 'INVALID_STATE',
        message: 'The job changed meanwhile and is now failed.',
        details: { status: 'failed' },
      },
    });
  });
});
