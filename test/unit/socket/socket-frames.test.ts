import { handleFrame, MAX_SNAPSHOTS } from '../../../lambdas/socket/socket-session';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { recordingSocketDependencies } from '../support/socket-dependencies';

const frame = (body: unknown) => JSON.stringify(body);

test('unsubscribing from one job drops that subscription and says which', async () => {
  const { deps, calls, posted } = recordingSocketDependencies();
  await handleFrame('c-1', frame({ action: 'unsubscribe', jobId: JOB_ID }), deps);
  expect(calls).toContainEqual(['unsubscribe', 'c-1', { jobId: JOB_ID }]);
  expect(calls.some(([name]) => name === 'unsubscribeAll')).toBe(false);
  expect(posted).toEqual([{ type: 'unsubscribed', jobId: JOB_ID }]);
});

test('unsubscribing without a job drops every subscription of the connection', async () => {
  const { deps, calls, posted } = recordingSocketDependencies();
  await handleFrame('c-1', frame({ action: 'unsubscribe' }), deps);
  expect(calls).toContainEqual(['unsubscribeAll', 'c-1']);
  expect(posted).toEqual([{ type: 'unsubscribed' }]);
});

test('subscribing without a job follows all of the caller’s own jobs', async () => {
  const { deps, calls, posted } = recordingSocketDependencies();
  await handleFrame('c-1', frame({ action: 'subscribe' }), deps);
  expect(calls).toContainEqual(['subscribe', 'c-1', { userId: 'user-1' }]);
  expect(posted).toEqual([{ type: 'subscribed', scope: 'user' }]);
});

test('a connection that is no longer registered answers NOT_FOUND and subscribes nothing', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({ connection: undefined });
  await handleFrame('c-1', frame({ action: 'subscribe' }), deps);
  expect(posted).toEqual([
    { type: 'error', code: 'NOT_FOUND', message: 'This connection is no longer registered.' },
  ]);
  expect(calls.filter(([name]) => name === 'subscribe')).toEqual([]);
});

test('a malformed frame names the field at fault and the actions there are', async () => {
  const { deps, posted } = recordingSocketDependencies();
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: 42 }), deps);
  expect(posted[0]).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR' });
  expect(posted[0]?.message).toContain('jobId:');
  expect(posted[0]?.message).toContain('Actions: subscribe, unsubscribe, ping.');
  await handleFrame('c-1', '[]', deps);
  expect(posted[1]?.message).toContain('frame:');
});

test('a body that is not JSON is a VALIDATION_ERROR saying what frames are', async () => {
  const { deps, posted } = recordingSocketDependencies();
  await handleFrame('c-1', undefined, deps);
  expect(posted).toEqual([
    { type: 'error', code: 'VALIDATION_ERROR', message: 'Frames must be JSON objects with an action.' },
  ]);
});

test('the snapshot is the job as the watched flag’s write returned it (newer than the access check)', async () => {
  const { deps, posted } = recordingSocketDependencies({
    jobs: [storedJob({ status: 'queued', version: 1 }), storedJob({ status: 'processing', version: 2 })],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted).toHaveLength(1);
  expect(posted[0]).toMatchObject({ type: 'job.snapshot', job: { status: 'processing', version: 2 } });
  expect(posted[0]).not.toHaveProperty('truncated');
  expect(posted[0]?.job).not.toHaveProperty('watched');
});

test('if the job vanished before its snapshot, it answers NOT_FOUND and the subscription is dropped', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({
    jobs: [storedJob({ status: 'queued' }), undefined],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted).toEqual([{ type: 'error', code: 'NOT_FOUND', message: 'No such job.' }]);
  expect(calls.at(-1)).toEqual(['unsubscribe', 'c-1', { jobId: JOB_ID }]);
  expect(calls.some(([name]) => name === 'activate')).toBe(false);
});

test('an admin may follow anyone’s job', async () => {
  const { deps, posted } = recordingSocketDependencies({
    connection: { connectionId: 'c-1', userId: 'operator', isAdmin: true },
    jobs: [storedJob({ userId: 'someone' }), storedJob({ userId: 'someone' })],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted[0]?.type).toBe('job.snapshot');
});

test('a malformed frame’s message lists every issue with its path, joined', async () => {
  const { deps, posted } = recordingSocketDependencies();
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: 42, extra: true }), deps);
  expect(posted).toEqual([
    {
      type: 'error',
      code: 'VALIDATION_ERROR',
      message:
        'Unknown or malformed frame (jobId: Invalid input: expected string, received number; frame: Unrecognized key: "extra"). Actions: subscribe, unsubscribe, ping.',
    },
  ]);
});

test('ping answers pong without reading the connection', async () => {
  const { deps, calls, posted } = recordingSocketDependencies();
  await handleFrame('c-1', frame({ action: 'ping' }), deps);
  expect(posted).toEqual([{ type: 'pong' }]);
  expect(calls).toEqual([]);
});

test('a job id that is no ULID reads no job and answers like a missing one', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({ jobs: [storedJob()] });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID.toLowerCase() }), deps);
  expect(posted).toEqual([{ type: 'error', code: 'NOT_FOUND', message: 'No such job.' }]);
  expect(calls).toEqual([['get', 'c-1']]);
});

test('someone else’s job is not subscribed to, and answers like a missing one', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({ jobs: [storedJob({ userId: 'user-2' })] });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted).toEqual([{ type: 'error', code: 'NOT_FOUND', message: 'No such job.' }]);
  expect(calls).toEqual([
    ['get', 'c-1'],
    ['job', JOB_ID],
  ]);
});

test('subscribing: pending subscription, watched flag (the snapshot), send, then activation from it', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({
    jobs: [storedJob(), storedJob({ version: 3, updatedAt: '2026-11-23T10:00:03.000Z' })],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(calls).toEqual([
    ['get', 'c-1'],
    ['job', JOB_ID],
    ['subscribe', 'c-1', { jobId: JOB_ID }],
    ['watchJob', JOB_ID],
    ['activate', 'c-1', JOB_ID, { version: 3, updatedAt: '2026-11-23T10:00:03.000Z' }, { force: false }],
  ]);
  expect(posted.map((sent) => [sent.type, sent.job.version])).toEqual([['job.snapshot', 3]]);
});

test('a job already watched is not written again: it is read after the pending subscription', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({
    jobs: [storedJob({ watched: true }), storedJob({ watched: true, status: 'processing', version: 2 })],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(calls.map(([name]) => name)).toEqual(['get', 'job', 'subscribe', 'job', 'activate']);
  expect(posted[0]).toMatchObject({ type: 'job.snapshot', job: { status: 'processing', version: 2 } });
});

test('a change missed while pending: a newer snapshot, read after re-arming, then activation from it', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({
    jobs: [
      storedJob(),
      storedJob({ version: 1 }),
      storedJob({ status: 'processing', version: 2, updatedAt: '2026-11-23T10:00:02.000Z' }),
    ],
    activations: ['missed', 'active'],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted.map((sent) => [sent.type, sent.job.status, sent.job.version])).toEqual([
    ['job.snapshot', 'queued', 1],
    ['job.snapshot', 'processing', 2],
  ]);
  expect(calls.slice(3)).toEqual([
    ['watchJob', JOB_ID],
    ['activate', 'c-1', JOB_ID, { version: 1, updatedAt: '2026-11-23T10:00:00.000Z' }, { force: false }],
    ['rearm', 'c-1', JOB_ID],
    ['job', JOB_ID],
    ['activate', 'c-1', JOB_ID, { version: 2, updatedAt: '2026-11-23T10:00:02.000Z' }, { force: false }],
  ]);
});

test(`a job that keeps changing gets ${MAX_SNAPSHOTS} snapshots at most, the last one activated regardless`, async () => {
  const { deps, calls, posted } = recordingSocketDependencies({
    jobs: [storedJob(), ...Array.from({ length: 10 }, (_, n) => storedJob({ version: n + 1 }))],
    activations: Array.from({ length: 10 }, () => 'missed'),
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted.map((sent) => sent.job.version)).toEqual([1, 2, 3, 4]);
  const activations = calls.filter(([name]) => name === 'activate');
  expect(activations.map((call) => call[4])).toEqual([
    { force: false },
    { force: false },
    { force: false },
    { force: true },
  ]);
});

test('a subscription dropped while pending (re-arming fails) gets no further snapshot', async () => {
  const { deps, calls, posted } = recordingSocketDependencies({
    jobs: [storedJob(), storedJob(), storedJob({ version: 2 })],
    activations: ['missed'],
    rearmed: false,
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted).toHaveLength(1);
  expect(calls.at(-1)).toEqual(['rearm', 'c-1', JOB_ID]);
});

test('a snapshot of a job whose result is in S3 says truncated', async () => {
  const { deps, posted } = recordingSocketDependencies({
    jobs: [storedJob(), storedJob({ status: 'completed', resultRef: { key: 'results/r', bytes: 500_000 } })],
  });
  await handleFrame('c-1', frame({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(posted[0]).toMatchObject({ type: 'job.snapshot', truncated: true });
  expect(posted[0]?.job).not.toHaveProperty('resultRef');
});
