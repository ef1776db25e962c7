import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BatchWriteCommand,
  DeleteCommand,
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
import { requestHash } from '../../../lambdas/api/submit-jobs';
import { apiDependencies, JOB_ID, NOW, storedJob } from '../support/api-dependencies';
import { conditionFailed, transactionCancelled } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
beforeEach(() => {
  dynamo.reset();
  s3.reset();
  s3.on(DeleteObjectCommand).resolves({});
});

const JOB_KEY = { PK: `JOB#${JOB_ID}`, SK: 'JOB' };
const FINISHED = ['completed', 'failed', 'cancelled'] as const;
const UNFINISHED = ['queued', 'delayed', 'processing', 'retrying'] as const;

const remove = (options: { user?: string; groups?: string; jobId?: string } = {}) =>
  route(
    httpEvent('DELETE /v1/jobs/{jobId}', `/v1/jobs/${options.jobId ?? JOB_ID}`, {
      pathParameters: { jobId: options.jobId ?? JOB_ID },
      user: options.user,
      groups: options.groups,
    }),
    apiDependencies(),
  );

/** The job as read, deleted (the delete returns it as it was), with `rows` left in its partition. */
const serveJob = (job: Record<string, unknown>, rows: Record<string, unknown>[] = []) => {
  dynamo.on(GetCommand, { Key: JOB_KEY }).resolves({ Item: job });
  dynamo.on(DeleteCommand).resolves({ Attributes: job });
  dynamo.on(QueryCommand).resolves({ Items: rows });
  dynamo.on(BatchWriteCommand).resolves({});
};

const deletedObjectKeys = () => s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Key);

describe('DELETE /v1/jobs/{jobId}', () => {
  test.each(FINISHED)('a %s job of the caller is removed: 204 with no body', async (status) => {
    serveJob(storedJob({ status, completedAt: '2026-11-23T10:01:00.000Z' }));

    const result = await remove();

    expect(result.statusCode).toBe(204);
    expect(result.body).toBeUndefined();
    expect(dynamo).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  test('the job item is deleted on the condition that it is still finished', async () => {
    serveJob(storedJob({ status: 'failed' }));

    await remove();

    const input = dynamo.commandCalls(DeleteCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual(JOB_KEY);
    expect(input?.ConditionExpression).toBe(
      'attribute_exists(PK) AND #status IN (:status0, :status1, :status2)',
    );
    expect(Object.values(input?.ExpressionAttributeValues ?? {}).sort()).toEqual([
      'cancelled',
      'completed',
      'failed',
    ]);
  });

  test.each(UNFINISHED)('a %s job is not removed: 409 INVALID_STATE with details.status', async (status) => {
    serveJob(storedJob({ status }));

    const result = await remove();

    expect(result.statusCode).toBe(409);
    expect(parse(result.body).error).toMatchObject({ code: 'INVALID_STATE', details: { status } });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  test('a retry that lands between the read and the delete wins: 409 with the new status, nothing removed', async () => {
    dynamo
      .on(GetCommand, { Key: JOB_KEY })
      .resolvesOnce({ Item: storedJob({ status: 'failed' }) })
      .resolves({ Item: storedJob({ status: 'queued', attempts: 0 }) });
    dynamo.on(DeleteCommand).rejects(conditionFailed());

    const result = await remove();

    expect(result.statusCode).toBe(409);
    expect(parse(result.body).error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'queued' } });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  test('a job removed by someone else meanwhile answers 404', async () => {
    dynamo
      .on(GetCommand, { Key: JOB_KEY })
      .resolvesOnce({ Item: storedJob({ status: 'completed' }) })
      .resolves({});
    dynamo.on(DeleteCommand).rejects(conditionFailed());

    const result = await remove();

    expect(result.statusCode).toBe(404);
  });

  test("the job's bulk items and event rows go with it, 25 a batch", async () => {
    const rows = Array.from({ length: 30 }, (_, index) => ({
      PK: JOB_KEY.PK,
      SK: `ITEM#${String(index).padStart(6, '0')}`,
    }));
    serveJob(storedJob({ status: 'completed', type: 'resume.analyze' }), [
      ...rows,
      { PK: JOB_KEY.PK, SK: 'EVT#2026-11-23T10:00:00.000Z#1' },
    ]);

    await remove();

    const query = dynamo.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query?.KeyConditionExpression).toBe('#pk = :pk');
    expect(query?.ExpressionAttributeValues).toEqual({ ':pk': JOB_KEY.PK });
    const deleted = dynamo
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.['jobs-test'] ?? [])
      .map((request) => request.DeleteRequest?.Key?.SK);
    expect(deleted).toHaveLength(31);
    expect(deleted).toContain('ITEM#000029');
    expect(deleted).toContain('EVT#2026-11-23T10:00:00.000Z#1');
    expect(deleted).not.toContain('JOB');
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteCommand, 2);
  });

  test("rows are read page by page until the partition's end", async () => {
    serveJob(storedJob({ status: 'completed' }));
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ PK: JOB_KEY.PK, SK: 'ITEM#000000' }],
        LastEvaluatedKey: { PK: 'x', SK: 'y' },
      })
      .resolves({ Items: [{ PK: JOB_KEY.PK, SK: 'ITEM#000001' }] });

    await remove();

    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(dynamo.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      PK: 'x',
      SK: 'y',
    });
  });

  test("the job's own files are deleted: claim-checked payload and result, and a rendered PDF", async () => {
    serveJob(
      storedJob({
        status: 'completed',
        type: 'pdf.render',
        payload: { template: 'resume', data: { name: 'A' } },
        resultRef: { key: `results/${JOB_ID}/result.json`, bytes: 300_000 },
      }),
    );

    await remove();

    expect(deletedObjectKeys().sort()).toEqual(
      [
        `payloads/${JOB_ID}/payload.json`,
        `results/${JOB_ID}/result.json`,
        `results/rendered/user-1/${JOB_ID}/report.pdf`,
        `results/rendered/user-1/${JOB_ID}/resume.pdf`,
      ].sort(),
    );
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input.Bucket).toBe('files-test');
  });

  test('the uploads a job read are never deleted (other jobs may read them)', async () => {
    serveJob(
      storedJob({
        status: 'completed',
        type: 'resume.extract',
        payload: { fileKey: 'uploads/user-1/a.pdf' },
      }),
    );

    await remove();

    expect(deletedObjectKeys().filter((key) => key?.startsWith('uploads/'))).toEqual([]);
  });

  test('a file that cannot be deleted does not undo the removal: still 204', async () => {
    serveJob(storedJob({ status: 'completed' }));
    s3.on(DeleteObjectCommand).rejects(new Error('SlowDown'));

    const result = await remove();

    expect(result.statusCode).toBe(204);
  });

  test('statistics keep their counts: the removal writes nothing but deletes', async () => {
    serveJob(storedJob({ status: 'completed' }));

    await remove();

    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test("another user's job answers 404, as if it did not exist, and nothing is removed", async () => {
    serveJob(storedJob({ status: 'completed', userId: 'user-2' }));

    const result = await remove({ user: 'user-1' });

    expect(result.statusCode).toBe(404);
    expect(parse(result.body).error.code).toBe('NOT_FOUND');
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });

  test("an admin may remove anyone's finished job", async () => {
    serveJob(storedJob({ status: 'completed', userId: 'user-2' }));

    const result = await remove({ user: 'admin-1', groups: '[admin]' });

    expect(result.statusCode).toBe(204);
  });

  test.each(['not-a-job', '01JD000000000000000000000I'])(
    'a malformed id (%s) is a 404 with no read',
    async (jobId) => {
      const result = await remove({ jobId });

      expect(result.statusCode).toBe(404);
      expect(dynamo).not.toHaveReceivedCommand(GetCommand);
    },
  );
});

describe('a deleted job frees its Idempotency-Key', () => {
  test('the same key and body then create a new job, taking the key over only while the old job is gone', async () => {
    const body = { type: 'system.simulate', payload: {} };
    dynamo.on(GetCommand, { Key: { PK: 'IDEM#user-1#key-1', SK: 'IDEM' } }).resolves({
      Item: {
        PK: 'IDEM#user-1#key-1',
        SK: 'IDEM',
        jobId: JOB_ID,
        requestHash: requestHash(body),
        expiresAt: NOW.getTime() / 1000 + 3600,
      },
    });
    dynamo.on(GetCommand, { Key: JOB_KEY }).resolves({});
    dynamo.on(UpdateCommand).resolves({ Attributes: { count: 1 } });
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(TransactWriteCommand).rejectsOnce(transactionCancelled()).resolves({});

    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body, headers: { 'idempotency-key': 'key-1' } }),
      apiDependencies(),
    );

    expect(result.statusCode).toBe(202);
    expect(parse(result.body).jobId).not.toBe(JOB_ID);
    const retake = dynamo.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? [];
    expect(retake[0]?.Put?.ConditionExpression).toContain('jobId = :released');
    expect(retake[0]?.Put?.ExpressionAttributeValues?.[':released']).toBe(JOB_ID);
    expect(retake[2]?.ConditionCheck).toMatchObject({
      Key: JOB_KEY,
      ConditionExpression: 'attribute_not_exists(PK)',
    });
  });
});

describe('POST /v1/admin/clean', () => {
  const clean = (body: unknown, options: { admin?: boolean } = { admin: true }) =>
    route(
      httpEvent('POST /v1/admin/clean', '/v1/admin/clean', {
        body,
        user: options.admin ? 'admin-1' : 'user-1',
        groups: options.admin ? '[admin]' : undefined,
      }),
      apiDependencies(),
    );

  const acceptWrites = () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { count: 1 } });
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutCommand).resolves({});
  };

  test('an admin gets 202 with a low-priority system.cleanup job whose payload is the body', async () => {
    acceptWrites();

    const result = await clean({ status: 'failed', olderThanDays: 30, type: 'pdf.render' });

    expect(result.statusCode).toBe(202);
    expect(parse(result.body)).toMatchObject({
      type: 'system.cleanup',
      status: 'queued',
      priority: 'low',
      maxAttempts: 3,
      payload: { status: 'failed', olderThanDays: 30, type: 'pdf.render' },
    });
    const saved = dynamo.commandCalls(PutCommand).find((call) => call.args[0].input.Item?.SK === 'JOB');
    expect(saved?.args[0].input.Item).toMatchObject({ type: 'system.cleanup', submittedByAdmin: true });
  });

  test('a user gets 403 before the body is even read', async () => {
    const result = await clean('not json at all', { admin: false });

    expect(result.statusCode).toBe(403);
    expect(parse(result.body).error.code).toBe('FORBIDDEN');
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test.each([
    ['no status', { olderThanDays: 1 }, 'status'],
    ['an unfinished status', { status: 'queued', olderThanDays: 1 }, 'status'],
    ['no olderThanDays', { status: 'failed' }, 'olderThanDays'],
    ['olderThanDays 0', { status: 'failed', olderThanDays: 0 }, 'olderThanDays'],
    ['olderThanDays 3651', { status: 'failed', olderThanDays: 3651 }, 'olderThanDays'],
    ['a fractional olderThanDays', { status: 'failed', olderThanDays: 1.5 }, 'olderThanDays'],
    ['olderThanDays as text', { status: 'failed', olderThanDays: '7' }, 'olderThanDays'],
    ['an empty type', { status: 'failed', olderThanDays: 1, type: '' }, 'type'],
    ['an unknown type', { status: 'failed', olderThanDays: 1, type: 'no.such' }, 'type'],
    ['an unknown field', { status: 'failed', olderThanDays: 1, limit: 5 }, 'limit'],
  ])('%s is a 400 naming the field', async (_case, body, field) => {
    const result = await clean(body);

    expect(result.statusCode).toBe(400);
    const error = parse(result.body).error;
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details.fields.map((entry: { field: string }) => entry.field)).toContain(field);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('a user submitting system.cleanup through POST /v1/jobs gets 403', async () => {
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', {
        body: { type: 'system.cleanup', payload: { status: 'completed', olderThanDays: 7 } },
      }),
      apiDependencies(),
    );

    expect(result.statusCode).toBe(403);
  });

  test('an admin may not run it at another priority than its own (only the low worker may clean)', async () => {
    acceptWrites();
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', {
        body: {
          type: 'system.cleanup',
          payload: { status: 'completed', olderThanDays: 7 },
          priority: 'high',
        },
        user: 'admin-1',
        groups: '[admin]',
      }),
      apiDependencies(),
    );

    expect(result.statusCode).toBe(400);
    expect(parse(result.body).error.details.fields[0].field).toBe('priority');
  });
});
