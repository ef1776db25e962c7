import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_INLINE_EVENTS } from '../../lambdas/core/item-size';
import { JobStore } from '../../lambdas/core/job-store';
import { api, getJob, SocketClient, stack, submit, untilStatus } from './support/client';

// This file's user; no other file submits as xena.
const USER = 'xena';
const KB = 1024;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const tableClient = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: stack().region, endpoint: stack().endpoints.dynamodb, credentials }),
  );

const storedItem = async (jobId: string) => {
  const client = tableClient();
  const { Item } = await client.send(
    new GetCommand({ TableName: stack().tableName, Key: { PK: `JOB#${jobId}`, SK: 'JOB' } }),
  );
  client.destroy();
  return Item;
};

const storedObject = async (key: string): Promise<unknown> => {
  const s3 = new S3Client({
    region: stack().region,
    endpoint: stack().endpoints.s3,
    forcePathStyle: true,
    credentials,
  });
  const object = await s3.send(new GetObjectCommand({ Bucket: stack().bucketName, Key: key }));
  const text = await object.Body?.transformToString();
  s3.destroy();
  return JSON.parse(text ?? 'null');
};

test('the issue’s job (190 KB result in the payload, 60 KB metadata) completes with its full result', async () => {
  const result = { text: 'r'.repeat(190 * KB) };
  const metadata = { notes: 'm'.repeat(60 * KB) };
  const body = { type: 'system.simulate', payload: { durationMs: 50, result }, metadata };
  expect(JSON.stringify(body).length).toBeLessThan(256 * KB);
  const job = await submit(USER, body);
  const done = await untilStatus(USER, job.jobId, ['completed', 'failed'], 60_000);
  expect(done.status).toBe('completed');
  expect(done.attempts).toBe(1);
  expect(done.result).toEqual(result);
  expect(done.payload.result).toEqual(result);
  expect(done.metadata).toEqual(metadata);
  // Stored: the result went to S3 to make room; the item keeps a reference.
  const item = await storedItem(job.jobId);
  expect(item).not.toHaveProperty('result');
  expect(item?.resultRef?.key).toBe(`results/${job.jobId}/result.json`);
});

test('a payload over 200 KB is accepted, kept in S3, and read back intact by GET, the list and the worker', async () => {
  const result = { text: 'p'.repeat(220 * KB), unicode: 'é€😀' };
  const job = await submit(USER, { type: 'system.simulate', payload: { durationMs: 50, result } });
  expect(job.payload.result).toEqual(result);
  const item = await storedItem(job.jobId);
  expect(item).not.toHaveProperty('payload');
  expect(item?.payloadRef?.key).toBe(`payloads/${job.jobId}/payload.json`);
  expect(await storedObject(`payloads/${job.jobId}/payload.json`)).toMatchObject({ result });

  const done = await untilStatus(USER, job.jobId, ['completed', 'failed'], 60_000);
  expect(done.status).toBe('completed');
  // system.simulate returns payload.result: the worker read the payload back from S3.
  expect(done.result).toEqual(result);
  expect(done.payload).toMatchObject({ durationMs: 50, result });
  const listed = (await api('GET', '/v1/jobs?limit=10', { user: USER })).body.jobs.find(
    (entry: { jobId: string }) => entry.jobId === job.jobId,
  );
  expect(listed.payload.result).toEqual(result);
});

test('a subscriber gets job.completed truncated for a result over 128 KB; GET has the whole result', async () => {
  const socket = await SocketClient.connect(USER);
  try {
    const result = { text: 's'.repeat(150 * KB) };
    const job = await submit(USER, {
      type: 'system.simulate',
      payload: { durationMs: 3000, steps: 3, result },
    });
    socket.send({ action: 'subscribe', jobId: job.jobId });
    // The snapshot (with a 150 KB payload) is over the limit too: sent without it.
    const snapshot = await socket.next(
      (frame) => frame.type === 'job.snapshot' && frame.job.jobId === job.jobId,
    );
    expect(snapshot).toMatchObject({ truncated: true });
    expect(snapshot.job).not.toHaveProperty('payload');
    const completed = await socket.next(
      (frame) => frame.type === 'job.completed' && frame.jobId === job.jobId,
      60_000,
    );
    expect(completed).toMatchObject({ status: 'completed', truncated: true });
    expect(completed).not.toHaveProperty('result');
    expect((await getJob(USER, job.jobId)).result).toEqual(result);
  } finally {
    await socket.close();
  }
});

test('the local @connections API refuses a post over 128 KB with 413 PayloadTooLargeException', async () => {
  const management = new ApiGatewayManagementApiClient({
    region: stack().region,
    endpoint: stack().wsUrl.replace(/^ws/, 'http'),
    credentials,
    maxAttempts: 1,
  });
  try {
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: 'any', Data: Buffer.alloc(128 * KB + 1, 'x') }),
      ),
    ).rejects.toMatchObject({ name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } });
  } finally {
    management.destroy();
  }
});

test('a job with a long history keeps a bounded log in DynamoDB: its first entry and the newest', async () => {
  const client = tableClient();
  const store = new JobStore(client, stack().tableName);
  // A running job whose log is full (written directly: a hundred real retries would take
  // minutes). Without a lease and never queued, no worker, sweep or dispatcher acts on it.
  const jobId = `01JS${Date.now().toString(32).toUpperCase().padStart(22, '0')}`;
  const at = (n: number) => new Date(Date.UTC(2026, 10, 29, 10, 0, 0, n)).toISOString();
  const events = [
    { at: at(0), from: null, to: 'queued', attempt: 0 },
    ...Array.from({ length: MAX_INLINE_EVENTS - 1 }, (_, n) => ({
      at: at(n + 1),
      from: 'queued',
      to: 'processing',
      attempt: 1,
    })),
  ];
  try {
    await client.send(
      new PutCommand({
        TableName: stack().tableName,
        Item: {
          PK: `JOB#${jobId}`,
          SK: 'JOB',
          jobId,
          userId: USER,
          type: 'system.simulate',
          status: 'processing',
          priority: 'low',
          priorityValue: 1,
          payload: {},
          attempts: 1,
          maxAttempts: 1,
          createdAt: at(0),
          updatedAt: at(0),
          events,
          version: 1,
        },
      }),
    );
    const failed = await store.transition({
      jobId,
      from: ['processing'],
      to: 'failed',
      at: at(500),
      expectedAttempts: 1,
      attempt: 1,
      error: { code: 'HANDLER_ERROR', message: 'failed again', retryable: false },
    });
    expect(failed.ok).toBe(true);
    const item = await storedItem(jobId);
    expect(item?.events).toHaveLength(MAX_INLINE_EVENTS);
    expect(item?.events[0]).toEqual(events[0]);
    expect(item?.events[1]).toEqual(events[2]);
    expect(item?.events.at(-1)).toMatchObject({ at: at(500), from: 'processing', to: 'failed' });
    // The trim is no change of the job: the version counts the transition only.
    expect(item?.version).toBe(2);
  } finally {
    client.destroy();
  }
});
