import WebSocket from 'ws';
import {
  isTerminalFrame,
  type JobFrame,
  JobQueueApiError,
  JobQueueClient,
  type WatchAllFrame,
} from '../../client';
import { stack } from './support/client';
import { localToken } from './support/tokens';

/**
 * The typed client (client/) against the local cloud, as a program would use it. Users of
 * this file's own, so nothing here shares counters or rate windows with other files.
 */
const clientFor = (user: string) =>
  new JobQueueClient({
    url: stack().httpUrl,
    webSocketUrl: stack().wsUrl,
    // A function: asked before each request and connection, as a refreshing app would.
    token: () => localToken(user),
    WebSocket,
  });

const versionOf = (frame: JobFrame) => (frame.type === 'job.snapshot' ? frame.job.version : frame.version);

describe('typed client end to end', () => {
  test('submit, then watch from the snapshot to job.completed, versions never going back', async () => {
    const client = clientFor('client-ann');
    const job = await client.submit(
      'system.simulate',
      // Long enough that the watch normally starts while the job runs, whatever the load.
      { durationMs: 3000, steps: 3, result: { answer: 42 } },
      { correlationId: 'client-e2e' },
    );
    expect(job).toMatchObject({ status: 'queued', correlationId: 'client-e2e', version: 1 });
    const frames: JobFrame[] = [];
    for await (const frame of client.watch(job.jobId)) frames.push(frame);
    expect(frames[0]?.type).toBe('job.snapshot');
    // The end: a job.completed push, or — should the job have finished before the
    // subscription (a loaded machine) — the snapshot of the completed job.
    const last = frames.at(-1);
    const ended = last?.type === 'job.snapshot' ? last.job : last;
    expect(ended).toMatchObject({ status: 'completed', result: { answer: 42 } });
    expect(frames.filter(isTerminalFrame)).toHaveLength(1);
    const versions = frames.map(versionOf);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(await client.get(job.jobId)).toMatchObject({ status: 'completed', result: { answer: 42 } });
  });

  test('waitFor returns a failing job once it has failed, with its error', async () => {
    const client = clientFor('client-ann');
    const job = await client.submit(
      'system.simulate',
      { durationMs: 50, failAttempts: 1, failWith: 'fatal' },
      { maxAttempts: 2 },
    );
    const ended = await client.waitFor(job.jobId, { timeoutMs: 30_000 });
    expect(ended).toMatchObject({ jobId: job.jobId, status: 'failed', error: { retryable: false } });
  });

  test('a batch answers per entry: accepted jobs and a refused one, in order', async () => {
    const client = clientFor('client-bea');
    const entries = await client.submitBatch([
      { type: 'system.simulate', payload: { durationMs: 10 } },
      { type: 'no.such.type', payload: {} },
      { type: 'system.simulate', payload: { durationMs: 10 }, priority: 'low' },
    ]);
    expect(entries.map((entry) => entry.ok)).toEqual([true, false, true]);
    expect(entries[1]).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR' } });
    expect(entries[2]).toMatchObject({ ok: true, job: { priority: 'low', status: 'queued' } });
  });

  test('list walks every page, newest first', async () => {
    const client = clientFor(`client-pages-${Date.now()}`);
    const submitted: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      submitted.push(
        (await client.submit('system.simulate', { durationMs: 1 }, { delaySeconds: 600 })).jobId,
      );
    }
    const firstPage = await client.listPage({ limit: 2 });
    expect(firstPage.jobs).toHaveLength(2);
    expect(firstPage.nextCursor).toEqual(expect.any(String));
    const listed: string[] = [];
    for await (const job of client.list({ limit: 2, status: 'delayed' })) listed.push(job.jobId);
    expect(listed).toEqual([...submitted].reverse());
    for (const jobId of submitted) await client.cancel(jobId);
  });

  test('a delayed job is cancelled at once, then retried to completion', async () => {
    const client = clientFor('client-cid');
    const job = await client.submit('system.simulate', { durationMs: 10 }, { delaySeconds: 300 });
    expect(job.status).toBe('delayed');
    expect(await client.cancel(job.jobId)).toMatchObject({ status: 'cancelled' });
    const retried = await client.retry(job.jobId);
    expect(retried).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await client.waitFor(job.jobId, { timeoutMs: 30_000 })).toMatchObject({ status: 'completed' });
    expect((await client.events(job.jobId)).map((event) => event.to)).toEqual([
      'delayed',
      'cancelled',
      'queued',
      'processing',
      'completed',
    ]);
  });

  test('upload puts a file where a job can read it (the signed PUT takes the client’s body as is)', async () => {
    const client = clientFor('client-eve');
    const text = 'Ada Lovelace\nada@example.com\n\nSkills\nTypeScript, AWS\n';
    const uploaded = await client.upload({ data: text, fileName: 'cv.txt', contentType: 'text/plain' });
    expect(uploaded).toMatchObject({ fileKey: expect.stringMatching(/cv\.txt$/), bytes: text.length });
    const job = await client.submit('resume.extract', { fileKey: uploaded.fileKey });
    const ended = await client.waitFor(job.jobId, { timeoutMs: 30_000 });
    expect(ended).toMatchObject({ status: 'completed', result: { text: text.trim() } });
  });

  test('watch("all") follows a job already in flight (jobIds) and the jobs submitted while it runs', async () => {
    const client = clientFor('client-fay');
    const waiting = await client.submit('system.simulate', { durationMs: 1 }, { delaySeconds: 300 });
    const controller = new AbortController();
    const frames: WatchAllFrame[] = [];
    const watching = (async () => {
      for await (const frame of client.watch('all', { signal: controller.signal, jobIds: [waiting.jobId] })) {
        frames.push(frame);
        if (frame.type === 'job.snapshot') {
          // Subscribed by now: a new job is born watched.
          await client.cancel(waiting.jobId);
          await client.submit('system.simulate', { durationMs: 10 }, { correlationId: 'born-watched' });
        }
        if (frame.type === 'job.completed') controller.abort();
      }
    })();
    await watching;
    const seen = frames.map((frame) =>
      frame.type === 'job.snapshot'
        ? `${frame.job.jobId === waiting.jobId ? 'waiting' : 'new'}:snapshot:${frame.job.status}`
        : frame.type === 'user.notification'
          ? 'notification'
          : `${frame.jobId === waiting.jobId ? 'waiting' : 'new'}:${frame.type}:${frame.status}`,
    );
    expect(seen[0]).toBe('waiting:snapshot:delayed');
    expect(seen).toContain('waiting:job.cancelled:cancelled');
    expect(seen).toContain('new:job.status:processing');
    expect(seen.at(-1)).toBe('new:job.completed:completed');
  });

  test('API errors arrive typed: 404 for an unknown job, 400 with the failing fields, 409 with the status', async () => {
    const client = clientFor('client-dee');
    const missing = await client.get('01JZZZZZZZZZZZZZZZZZZZZZZZ').catch((error) => error);
    expect(missing).toBeInstanceOf(JobQueueApiError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const invalid = await client.submit('system.simulate', { steps: 'many' }).catch((error) => error);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect((invalid as JobQueueApiError).details).toMatchObject({
      fields: [expect.objectContaining({ field: 'payload.steps' })],
    });

    const job = await client.submit('system.simulate', { durationMs: 1 }, { delaySeconds: 300 });
    const conflict = await client.retry(job.jobId).catch((error) => error);
    expect(conflict).toMatchObject({ status: 409, code: 'INVALID_STATE', details: { status: 'delayed' } });
    await client.cancel(job.jobId);

    const watchMissing = (async () => {
      for await (const _frame of client.watch('01JZZZZZZZZZZZZZZZZZZZZZZZ'));
    })();
    await expect(watchMissing).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
