import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  type DeleteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JobStore } from '../../../lambdas/core/job-store';
import type { JobContext, ProgressUpdate } from '../../../lambdas/jobs/job-type';
import { type CleanupDependencies, runCleanup } from '../../../lambdas/jobs/system-cleanup';
import type { CleanupPayload } from '../../../lambdas/jobs/system-cleanup-payload';
import { conditionFailed, serveBatchGets } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

const NOW = new Date('2026-11-30T12:00:00.000Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

let time = NOW.getTime();
const clock = () => new Date(time);

const dependencies = (): CleanupDependencies => {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  return {
    store: new JobStore(client, 'jobs-test', undefined, clock),
    s3: new S3Client({}),
    bucketName: 'files',
    clock,
  };
};

let progress: ProgressUpdate[];
const context = (
  payload: CleanupPayload,
  deadlineAt = NOW.getTime() + 300_000,
): JobContext<CleanupPayload> => ({
  jobId: '01JD0000000000000000CLEAN0',
  userId: 'admin-1',
  payload,
  attempt: 1,
  maxAttempts: 3,
  idempotencyKey: 'k',
  signal: new AbortController().signal,
  deadlineAt,
  progress: async (update) => {
    progress.push(update);
  },
  logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
});

let serial = 0;
const job = (fields: Record<string, unknown>) => {
  serial += 1;
  const jobId = `01JD00000000000000000000${String(serial).padStart(2, '0')}`;
  return {
    PK: `JOB#${jobId}`,
    SK: 'JOB',
    jobId,
    userId: 'user-1',
    type: 'system.simulate',
    status: 'failed',
    createdAt: daysAgo(40),
    completedAt: daysAgo(40),
    attempts: 3,
    events: [],
    version: 3,
    ...fields,
  };
};

beforeEach(() => {
  dynamo.reset();
  s3.reset();
  s3.on(DeleteObjectCommand).resolves({});
  dynamo.on(DeleteCommand).callsFake((input: DeleteCommandInput) => ({
    Attributes: {
      ...input.Key,
      jobId: String(input.Key?.PK).slice(4),
      userId: 'user-1',
      type: 'system.simulate',
      status: 'failed',
      createdAt: '',
      events: [],
    },
  }));
  time = NOW.getTime();
  progress = [];
});

const deletedJobIds = () =>
  dynamo.commandCalls(DeleteCommand).map((call) => String(call.args[0].input.Key?.PK).slice('JOB#'.length));

/** Serves the status index: `entries` by partition, every other partition empty. */
const serveIndex = (entries: Record<string, Record<string, unknown>[]>) =>
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    if (input.IndexName !== 'StatusJobs') return { Items: [] };
    const partition = String(input.ExpressionAttributeValues?.[':pk']);
    return { Items: (entries[partition] ?? []).map((item) => ({ PK: item.PK, SK: 'JOB' })) };
  });

describe('system.cleanup of failed or cancelled jobs (the status index)', () => {
  test('reads each of the 8 partitions of the status, oldest first, only entries created before the cutoff', async () => {
    serveIndex({});

    const result = await runCleanup(context({ status: 'cancelled', olderThanDays: 10 }), dependencies());

    const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((query) => query.ExpressionAttributeValues?.[':pk']).sort()).toEqual(
      Array.from({ length: 8 }, (_, shard) => `STATUS#cancelled#${shard}`),
    );
    for (const query of queries) {
      expect(query.IndexName).toBe('StatusJobs');
      expect(query.KeyConditionExpression).toBe('GSI2PK = :pk AND GSI2SK < :before');
      expect(query.ExpressionAttributeValues?.[':before']).toBe(daysAgo(10));
      expect(query.ScanIndexForward).toBe(true);
    }
    expect(result).toEqual({ removed: 0, cutoff: daysAgo(10) });
  });

  test('removes the jobs that finished before the cutoff, by completedAt (else createdAt), of the status and type asked', async () => {
    const old = job({});
    const neverRan = job({ completedAt: undefined, createdAt: daysAgo(20) });
    const finishedRecently = job({ createdAt: daysAgo(40), completedAt: daysAgo(2) });
    const otherType = job({ type: 'pdf.render' });
    const retriedSince = job({ status: 'queued' });
    const all = [old, neverRan, finishedRecently, otherType, retriedSince];
    serveIndex({ 'STATUS#failed#0': all });
    serveBatchGets(dynamo, all);

    const result = await runCleanup(
      context({ status: 'failed', olderThanDays: 10, type: 'system.simulate' }),
      dependencies(),
    );

    expect(deletedJobIds().sort()).toEqual([old.jobId, neverRan.jobId].sort());
    expect(result.removed).toBe(2);
  });

  test('each removal is the conditional delete of DELETE /v1/jobs/{jobId}, narrowed to status, age and type', async () => {
    const old = job({});
    serveIndex({ 'STATUS#failed#3': [old] });
    serveBatchGets(dynamo, [old]);

    await runCleanup(
      context({ status: 'failed', olderThanDays: 10, type: 'system.simulate' }),
      dependencies(),
    );

    const input = dynamo.commandCalls(DeleteCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe(
      'attribute_exists(PK) AND #status IN (:status0) AND (#completedAt < :before OR (attribute_not_exists(#completedAt) AND #createdAt < :before)) AND #type = :type',
    );
    expect(input?.ExpressionAttributeValues).toEqual({
      ':status0': 'failed',
      ':before': daysAgo(10),
      ':type': 'system.simulate',
    });
    expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Key)).toContain(
      `results/${old.jobId}/result.json`,
    );
  });

  test('a job whose delete condition fails (retried meanwhile) is not counted', async () => {
    const jobs = [job({}), job({})];
    serveIndex({ 'STATUS#failed#0': jobs });
    serveBatchGets(dynamo, jobs);
    dynamo.on(DeleteCommand, { Key: { PK: jobs[0]?.PK, SK: 'JOB' } }).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { ...jobs[0], status: 'queued' } });

    const result = await runCleanup(context({ status: 'failed', olderThanDays: 10 }), dependencies());

    expect(result.removed).toBe(1);
  });

  test('follows each partition page by page and reports progress per page', async () => {
    const first = job({});
    const second = job({});
    dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      if (input.IndexName !== 'StatusJobs') return { Items: [] };
      if (input.ExpressionAttributeValues?.[':pk'] !== 'STATUS#failed#0') return { Items: [] };
      return input.ExclusiveStartKey
        ? { Items: [{ PK: second.PK, SK: 'JOB' }] }
        : { Items: [{ PK: first.PK, SK: 'JOB' }], LastEvaluatedKey: { PK: first.PK } };
    });
    serveBatchGets(dynamo, [first, second]);

    const result = await runCleanup(context({ status: 'failed', olderThanDays: 10 }), dependencies());

    expect(result.removed).toBe(2);
    expect(progress).toHaveLength(9);
    expect(progress[0]).toMatchObject({ percent: 0, message: '1 removed, 1 page(s) read' });
    expect(progress.at(-1)).toMatchObject({ percent: 87, message: '2 removed, 9 page(s) read' });
  });
});

describe('system.cleanup of completed jobs (a Scan: no index holds them)', () => {
  test('scans the table page by page, filtering on the job item, status and age, and removes each match', async () => {
    const a = job({ status: 'completed' });
    const b = job({ status: 'completed' });
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [a], LastEvaluatedKey: { PK: a.PK, SK: 'JOB' } })
      .resolves({ Items: [b] });
    dynamo.on(QueryCommand).resolves({ Items: [] });

    const result = await runCleanup(context({ status: 'completed', olderThanDays: 7 }), dependencies());

    expect(result).toEqual({ removed: 2, cutoff: daysAgo(7) });
    const scans = dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans).toHaveLength(2);
    expect(scans[0]?.FilterExpression).toBe(
      '#sk = :job AND #status = :status AND (#completedAt < :before OR (attribute_not_exists(#completedAt) AND #createdAt < :before))',
    );
    expect(scans[0]?.ExpressionAttributeValues).toEqual({
      ':job': 'JOB',
      ':status': 'completed',
      ':before': daysAgo(7),
    });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ PK: a.PK, SK: 'JOB' });
    expect(scans[0]?.IndexName).toBeUndefined();
    expect(progress.map((update) => update.message)).toEqual([
      '1 removed, 1 page(s) read',
      '2 removed, 2 page(s) read',
    ]);
  });

  test('a type narrows the Scan filter', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [] });

    await runCleanup(context({ status: 'completed', olderThanDays: 7, type: 'pdf.render' }), dependencies());

    const scan = dynamo.commandCalls(ScanCommand)[0]?.args[0].input;
    expect(scan?.FilterExpression).toContain('#type = :type');
    expect(scan?.ExpressionAttributeValues?.[':type']).toBe('pdf.render');
  });

  test('jobs whose TTL has passed are left to TTL (free), not deleted', async () => {
    dynamo
      .on(ScanCommand)
      .resolves({ Items: [job({ status: 'completed', expiresAt: NOW.getTime() / 1000 - 60 })] });

    const result = await runCleanup(context({ status: 'completed', olderThanDays: 7 }), dependencies());

    expect(result.removed).toBe(0);
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });
});

describe('system.cleanup near its deadline', () => {
  test('stops before the deadline with what it removed and incomplete: true, reading no further page', async () => {
    const a = job({ status: 'completed' });
    dynamo.on(ScanCommand).callsFake(() => {
      time += 250_000; // a slow page: afterwards less than the margin is left
      return { Items: [a], LastEvaluatedKey: { PK: a.PK, SK: 'JOB' } };
    });
    dynamo.on(QueryCommand).resolves({ Items: [] });

    const result = await runCleanup(
      context({ status: 'completed', olderThanDays: 7 }, NOW.getTime() + 260_000),
      dependencies(),
    );

    expect(result).toEqual({ removed: 1, cutoff: daysAgo(7), incomplete: true });
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 1);
  });

  test('the status index is left alone too once the deadline is near', async () => {
    serveIndex({});

    const result = await runCleanup(
      context({ status: 'failed', olderThanDays: 7 }, NOW.getTime() + 5_000),
      dependencies(),
    );

    expect(result.incomplete).toBe(true);
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });

  test('a cancelled cleanup stops at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('CANCELLED'));
    dynamo.on(ScanCommand).resolves({ Items: [] });

    await expect(
      runCleanup(
        { ...context({ status: 'completed', olderThanDays: 7 }), signal: controller.signal },
        dependencies(),
      ),
    ).rejects.toThrow('CANCELLED');
    expect(dynamo).not.toHaveReceivedCommand(ScanCommand);
  });
});
