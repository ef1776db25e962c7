import { api, eventually, getJob, type Reply, sleep } from './support/client';
import { localToken } from './support/tokens';

/**
 * Admin search and bulk retry end to end: jobs of two users of this file's own (fresh ids
 * every run) fail or are cancelled; the admin finds them through the status index and
 * re-queues them. Other files' failed jobs share the index, so searches across users are
 * checked for the order of this file's jobs among them, and bulk retries are aimed at a
 * priority value no other file submits with (13).
 */
const RUN = Date.now().toString(36);
const USERS = { ann: `admin-search-ann-${RUN}`, ben: `admin-search-ben-${RUN}` } as const;
type Owner = keyof typeof USERS;
const tokens: Record<Owner, string> = { ann: '', ben: '' };
const PRIORITY = 13;

const as = (owner: Owner, method: string, route: string, body?: unknown): Promise<Reply> =>
  api(method, route, { user: null, headers: { authorization: `Bearer ${tokens[owner]}` }, body });
const asAdmin = (method: string, route: string, body?: unknown) =>
  api(method, route, { user: 'admin', body });

const search = (query: Record<string, string>) =>
  asAdmin('GET', `/v1/admin/jobs?${new URLSearchParams(query).toString()}`);

/** Every page of a search, following nextCursor; the jobs of all pages and each page's size. */
const searchAll = async (query: Record<string, string>) => {
  const jobs: { jobId: string; status: string; type: string; createdAt: string }[] = [];
  const pageSizes: number[] = [];
  let cursor: string | null = null;
  do {
    const reply: Reply = await search(cursor ? { ...query, cursor } : query);
    expect(reply.status).toBe(200);
    jobs.push(...reply.body.jobs);
    pageSizes.push(reply.body.jobs.length);
    cursor = reply.body.nextCursor;
  } while (cursor !== null && pageSizes.length < 50);
  expect(cursor).toBeNull();
  return { jobs, pageSizes };
};

const submitAs = async (owner: Owner, body: Record<string, unknown>): Promise<string> => {
  const reply = await as(owner, 'POST', '/v1/jobs', body);
  expect(reply.status).toBe(202);
  // Distinct creation times, so "newest first" has one right answer.
  await sleep(5);
  return reply.body.jobId as string;
};

const failing = {
  type: 'system.simulate',
  payload: { durationMs: 10, failAttempts: 1 },
  maxAttempts: 1,
  priority: PRIORITY,
};
const waiting = {
  type: 'system.simulate',
  payload: { durationMs: 10 },
  delaySeconds: 600,
  priority: PRIORITY,
};

/** This file's jobs by owner and outcome, each list in submission order (oldest first). */
const failed: Record<Owner, string[]> = { ann: [], ben: [] };
const cancelled: Record<Owner, string[]> = { ann: [], ben: [] };
/** Every failed job of this file, oldest first across both users. */
const failedInOrder: string[] = [];
const cancelledInOrder: string[] = [];

const newestFirst = (ids: readonly string[]) => [...ids].reverse();
const mine = (ids: readonly string[], wanted: readonly string[]) => ids.filter((id) => wanted.includes(id));

beforeAll(async () => {
  tokens.ann = localToken(USERS.ann);
  tokens.ben = localToken(USERS.ben);
  for (const owner of ['ann', 'ben', 'ann', 'ben', 'ann'] as const) {
    const jobId = await submitAs(owner, failing);
    failed[owner].push(jobId);
    failedInOrder.push(jobId);
  }
  for (const owner of ['ann', 'ben', 'ann'] as const) {
    const jobId = await submitAs(owner, waiting);
    const reply = await as(owner, 'POST', `/v1/jobs/${jobId}/cancel`);
    expect(reply.body.status).toBe('cancelled');
    cancelled[owner].push(jobId);
    cancelledInOrder.push(jobId);
  }
  for (const jobId of failedInOrder) {
    await eventually(
      () => getJob('admin', jobId),
      (job) => job?.status === 'failed',
      60_000,
    );
  }
});

test('a user who is not an admin gets 403 from both routes', async () => {
  const searched = await as('ann', 'GET', '/v1/admin/jobs?status=failed');
  expect(searched.status).toBe(403);
  expect(searched.body.error.code).toBe('FORBIDDEN');
  const retried = await as('ann', 'POST', '/v1/admin/jobs/retry', { status: 'failed' });
  expect(retried.status).toBe(403);
  expect(retried.body.error.code).toBe('FORBIDDEN');
});

test("the admin finds one user's failed jobs newest first, page by page, listed as that user lists them", async () => {
  const first = await search({ status: 'failed', userId: USERS.ann, limit: '2' });
  expect(first.status).toBe(200);
  expect(first.body.jobs.map((job: { jobId: string }) => job.jobId)).toEqual(
    newestFirst(failed.ann).slice(0, 2),
  );
  expect(first.body.nextCursor).toEqual(expect.any(String));

  const all = await searchAll({ status: 'failed', userId: USERS.ann, limit: '2' });
  expect(all.jobs.map((job) => job.jobId)).toEqual(newestFirst(failed.ann));

  const own = await as('ann', 'GET', '/v1/jobs?status=failed');
  expect(all.jobs).toEqual(own.body.jobs);
  expect(all.jobs[0]).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'SIMULATED_FAILURE' } });
});

test('the admin finds failed jobs of a type across users, newest first', async () => {
  const { jobs } = await searchAll({ status: 'failed', type: 'system.simulate', limit: '100' });
  expect(
    mine(
      jobs.map((job) => job.jobId),
      failedInOrder,
    ),
  ).toEqual(newestFirst(failedInOrder));
  for (const job of jobs) expect(job).toMatchObject({ status: 'failed', type: 'system.simulate' });
  const times = jobs.map((job) => job.createdAt);
  expect(times).toEqual([...times].sort().reverse());
});

test("the admin finds one user's cancelled jobs, and without a status every status the index holds", async () => {
  const ben = await searchAll({ status: 'cancelled', userId: USERS.ben });
  expect(ben.jobs.map((job) => job.jobId)).toEqual(newestFirst(cancelled.ben));

  const everything = await searchAll({ limit: '50' });
  const ours = [...failedInOrder, ...cancelledInOrder];
  // Cancelled jobs were submitted after the failed ones: newest first, they come first.
  expect(
    mine(
      everything.jobs.map((job) => job.jobId),
      ours,
    ),
  ).toEqual(newestFirst(ours));
});

test("without a status, a userId lists that user's jobs of every status exactly as GET /v1/jobs does", async () => {
  const forAdmin = await search({ userId: USERS.ann });
  const own = await as('ann', 'GET', '/v1/jobs');
  expect(forAdmin.status).toBe(200);
  expect(forAdmin.body).toEqual(own.body);
  expect(forAdmin.body.jobs).toHaveLength(failed.ann.length + cancelled.ann.length);
});

test('a status the index does not hold, or a cursor this API never gave, is a 400', async () => {
  const completed = await search({ status: 'completed' });
  expect(completed.status).toBe(400);
  expect(completed.body.error).toMatchObject({
    code: 'VALIDATION_ERROR',
    details: {
      fields: [{ field: 'status', message: 'must be one of delayed, retrying, failed, cancelled' }],
    },
  });
  const badCursor = await search({ status: 'failed', cursor: 'bm90IGEgY3Vyc29y' });
  expect(badCursor.status).toBe(400);
  expect(badCursor.body.error.details.fields).toEqual([
    { field: 'cursor', message: 'not a cursor this API returned' },
  ]);
});

test('bulk retry re-queues matching jobs up to the limit; they run again from attempt 1 and leave the index', async () => {
  const one = await asAdmin('POST', '/v1/admin/jobs/retry', {
    status: 'cancelled',
    priority: PRIORITY,
    limit: 1,
  });
  expect(one.status).toBe(202);
  expect(one.body).toEqual({ retried: 1 });
  const rest = await asAdmin('POST', '/v1/admin/jobs/retry', { status: 'cancelled', priority: PRIORITY });
  expect(rest.body).toEqual({ retried: cancelledInOrder.length - 1 });
  for (const jobId of cancelledInOrder) {
    const done = await eventually(
      () => getJob('admin', jobId),
      (job) => job?.status === 'completed',
      60_000,
    );
    expect(done.attempts).toBe(1);
  }
  const stillCancelled = await searchAll({ status: 'cancelled', userId: USERS.ann });
  expect(stillCancelled.jobs).toEqual([]);

  const retried = await asAdmin('POST', '/v1/admin/jobs/retry', {
    status: 'failed',
    type: 'system.simulate',
    priority: PRIORITY,
  });
  expect(retried.body).toEqual({ retried: failedInOrder.length });
  for (const jobId of failedInOrder) {
    // failAttempts 1 fails attempt 1 again: a retried job starts over from attempt 1.
    const events = await eventually(
      async () =>
        (await asAdmin('GET', `/v1/jobs/${jobId}/events`)).body.events as {
          from: string;
          to: string;
          attempt: number;
        }[],
      (log) => log.filter((event) => event.to === 'failed').length === 2,
      60_000,
    );
    expect(events.slice(-3)).toEqual([
      expect.objectContaining({ from: 'failed', to: 'queued', attempt: 0 }),
      expect.objectContaining({ from: 'queued', to: 'processing', attempt: 1 }),
      expect.objectContaining({ from: 'processing', to: 'failed', attempt: 1 }),
    ]);
    expect((await getJob('admin', jobId)).attempts).toBe(1);
  }
});
