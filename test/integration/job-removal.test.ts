import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulidx';
import { jobItem } from '../../lambdas/core/job-store';
import { api, eventually, type Reply, stack } from './support/client';
import { localToken } from './support/tokens';

/**
 * DELETE /v1/jobs/{jobId} and POST /v1/admin/clean end to end, with users of this file's
 * own (fresh every run). Old finished jobs are seeded straight into the table (nothing
 * else can make a job 40 days old); the cleanups are narrowed to this file's seeded
 * types or to jobs that old, so other files' jobs are never at stake.
 */
const RUN = Date.now().toString(36);
const USERS = { ann: `removal-ann-${RUN}`, ben: `removal-ben-${RUN}` } as const;
type Owner = keyof typeof USERS;
const tokens: Record<Owner, string> = { ann: '', ben: '' };
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const DAY_MS = 86_400_000;

beforeAll(() => {
  tokens.ann = localToken(USERS.ann);
  tokens.ben = localToken(USERS.ben);
});

const as = (owner: Owner, method: string, route: string, body?: unknown): Promise<Reply> =>
  api(method, route, { user: null, headers: { authorization: `Bearer ${tokens[owner]}` }, body });
const asAdmin = (method: string, route: string, body?: unknown) =>
  api(method, route, { user: 'admin', body });

const submitAs = async (owner: Owner, body: Record<string, unknown>): Promise<string> => {
  const reply = await as(owner, 'POST', '/v1/jobs', body);
  expect(reply.status).toBe(202);
  return reply.body.jobId as string;
};

const until = (read: () => Promise<Reply>, statuses: string[], timeoutMs = 60_000) =>
  eventually(read, (reply) => statuses.includes(reply.body?.status), timeoutMs);
const jobOf = (owner: Owner, jobId: string) => () => as(owner, 'GET', `/v1/jobs/${jobId}`);
const listedIds = async (owner: Owner): Promise<string[]> =>
  (await as(owner, 'GET', '/v1/jobs?limit=100')).body.jobs.map((job: { jobId: string }) => job.jobId);

describe('DELETE /v1/jobs/{jobId}', () => {
  test('a completed job is removed: 204, then 404, gone from the list, and its stats stay counted', async () => {
    const jobId = await submitAs('ann', { type: 'system.simulate', payload: { durationMs: 10 } });
    await until(jobOf('ann', jobId), ['completed']);
    const stats = await eventually(
      () => as('ann', 'GET', '/v1/stats'),
      (reply) => reply.body?.totals?.completed === 1,
    );
    expect(await listedIds('ann')).toContain(jobId);

    const removed = await as('ann', 'DELETE', `/v1/jobs/${jobId}`);

    expect(removed.status).toBe(204);
    expect(removed.body).toBeUndefined();
    const read = await as('ann', 'GET', `/v1/jobs/${jobId}`);
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('NOT_FOUND');
    expect(await listedIds('ann')).not.toContain(jobId);
    expect((await as('ann', 'DELETE', `/v1/jobs/${jobId}`)).status).toBe(404);
    // Cleaning is not un-happening: the counters keep the job (give the stream time to act).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await as('ann', 'GET', '/v1/stats');
    expect(after.body.totals).toEqual(stats.body.totals);
  });

  test('a delayed job is 409 INVALID_STATE with its status; once cancelled it can be removed', async () => {
    const jobId = await submitAs('ann', {
      type: 'system.simulate',
      payload: { durationMs: 10 },
      delaySeconds: 600,
    });

    const refused = await as('ann', 'DELETE', `/v1/jobs/${jobId}`);

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'delayed' } });
    expect((await as('ann', 'GET', `/v1/jobs/${jobId}`)).body.status).toBe('delayed');
    expect((await as('ann', 'POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(202);
    expect((await as('ann', 'DELETE', `/v1/jobs/${jobId}`)).status).toBe(204);
  });

  test("another user's job answers 404, as if it did not exist, and stays", async () => {
    const jobId = await submitAs('ann', { type: 'system.simulate', payload: { durationMs: 10 } });
    await until(jobOf('ann', jobId), ['completed']);

    const refused = await as('ben', 'DELETE', `/v1/jobs/${jobId}`);

    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('NOT_FOUND');
    expect((await as('ann', 'GET', `/v1/jobs/${jobId}`)).status).toBe(200);
  });

  test('a rendered PDF leaves the bucket with its job', async () => {
    const jobId = await submitAs('ann', {
      type: 'pdf.render',
      payload: { template: 'resume', data: { name: 'Removal Test' } },
    });
    const done = await until(jobOf('ann', jobId), ['completed', 'failed']);
    expect(done.body.status).toBe('completed');
    const s3 = new S3Client({
      region: stack().region,
      endpoint: stack().endpoints.s3,
      forcePathStyle: true,
      credentials,
    });
    const read = () =>
      s3.send(new GetObjectCommand({ Bucket: stack().bucketName, Key: done.body.result.fileKey }));
    try {
      await expect(read()).resolves.toBeDefined();

      expect((await as('ann', 'DELETE', `/v1/jobs/${jobId}`)).status).toBe(204);

      await expect(read()).rejects.toMatchObject({ name: 'NoSuchKey' });
    } finally {
      s3.destroy();
    }
  });
});

describe('POST /v1/admin/clean', () => {
  const table = () =>
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: stack().region, endpoint: stack().endpoints.dynamodb, credentials }),
      { marshallOptions: { removeUndefinedValues: true } },
    );

  /** A job that finished `daysAgo` days ago, written as the store writes it (index keys included). */
  const seedFinished = async (
    owner: Owner,
    status: 'completed' | 'failed',
    daysAgo: number,
  ): Promise<string> => {
    const at = new Date(Date.now() - daysAgo * DAY_MS);
    const jobId = ulid(at.getTime());
    const client = table();
    try {
      await client.send(
        new PutCommand({
          TableName: stack().tableName,
          Item: jobItem({
            jobId,
            userId: USERS[owner],
            type: 'system.simulate',
            status,
            priority: 'normal',
            priorityValue: 5,
            payload: { durationMs: 0 },
            attempts: 1,
            maxAttempts: 1,
            createdAt: at.toISOString(),
            updatedAt: at.toISOString(),
            startedAt: at.toISOString(),
            completedAt: at.toISOString(),
            ...(status === 'failed'
              ? { error: { code: 'HANDLER_ERROR', message: 'seeded', retryable: false } }
              : { result: { seeded: true } }),
            events: [],
            version: 3,
          }),
        }),
      );
    } finally {
      client.destroy();
    }
    return jobId;
  };

  const cleanAndWait = async (body: Record<string, unknown>) => {
    const accepted = await asAdmin('POST', '/v1/admin/clean', body);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      type: 'system.cleanup',
      status: 'queued',
      priority: 'low',
      payload: body,
    });
    const done = await until(
      () => asAdmin('GET', `/v1/jobs/${accepted.body.jobId}`),
      ['completed', 'failed'],
      90_000,
    );
    expect(done.body.status).toBe('completed');
    return done.body;
  };

  test('failed jobs older than the cutoff are removed through the status index; fresh ones stay', async () => {
    const old = [await seedFinished('ben', 'failed', 40), await seedFinished('ben', 'failed', 35)];
    const recent = await seedFinished('ben', 'failed', 3);
    const fresh = await submitAs('ben', {
      type: 'system.simulate',
      payload: { durationMs: 10, failAttempts: 1, failWith: 'fatal' },
      maxAttempts: 1,
    });
    await until(jobOf('ben', fresh), ['failed']);

    const cleanup = await cleanAndWait({ status: 'failed', olderThanDays: 30, type: 'system.simulate' });

    expect(cleanup.result.removed).toBeGreaterThanOrEqual(old.length);
    expect(cleanup.progress?.message).toMatch(/removed/);
    for (const jobId of old) expect((await as('ben', 'GET', `/v1/jobs/${jobId}`)).status).toBe(404);
    expect((await as('ben', 'GET', `/v1/jobs/${recent}`)).body.status).toBe('failed');
    expect((await as('ben', 'GET', `/v1/jobs/${fresh}`)).body.status).toBe('failed');
    const listed = await listedIds('ben');
    expect(listed).toEqual(expect.arrayContaining([recent, fresh]));
    for (const jobId of old) expect(listed).not.toContain(jobId);
  });

  test('olderThanDays 1 leaves fresh completed jobs alone and removes old ones (a Scan)', async () => {
    const old = await seedFinished('ann', 'completed', 40);
    const fresh = await submitAs('ann', { type: 'system.simulate', payload: { durationMs: 10 } });
    await until(jobOf('ann', fresh), ['completed']);

    const cleanup = await cleanAndWait({ status: 'completed', olderThanDays: 1 });

    expect(cleanup.result.removed).toBeGreaterThanOrEqual(1);
    expect((await as('ann', 'GET', `/v1/jobs/${old}`)).status).toBe(404);
    expect((await as('ann', 'GET', `/v1/jobs/${fresh}`)).body.status).toBe('completed');
  });

  test('a user gets 403, for the route and for submitting system.cleanup directly', async () => {
    const route = await as('ann', 'POST', '/v1/admin/clean', { status: 'completed', olderThanDays: 1 });
    expect(route.status).toBe(403);
    expect(route.body.error.code).toBe('FORBIDDEN');
    const direct = await as('ann', 'POST', '/v1/jobs', {
      type: 'system.cleanup',
      payload: { status: 'completed', olderThanDays: 1 },
    });
    expect(direct.status).toBe(403);
  });

  test('a bad body is a 400 naming the field', async () => {
    const reply = await asAdmin('POST', '/v1/admin/clean', { status: 'processing', olderThanDays: 0 });
    expect(reply.status).toBe(400);
    const fields = reply.body.error.details.fields.map((entry: { field: string }) => entry.field);
    expect(fields).toEqual(expect.arrayContaining(['status', 'olderThanDays']));
  });
});
