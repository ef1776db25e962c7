import { SocketClient, sleep, submit } from './support/client';

/**
 * CONTRACT.md "WebSocket": a subscriber's first frame for a job is its `job.snapshot`;
 * every push carries the job's `version` (as does the snapshot's job), which never goes
 * backwards, and a job's last push is its terminal one. Subscribing while the job moves
 * (and while the notifier may lag behind the stream) is where that used to break: an
 * older `job.status` could overtake the snapshot.
 */

/** The fields of a job frame these tests read (a push, or a snapshot with its job). */
interface JobFrame {
  readonly type: string;
  readonly jobId?: string;
  readonly status?: string;
  readonly version?: number;
  readonly job?: { readonly jobId: string; readonly status: string; readonly version: number };
}

/** The frames of one job a socket received, in arrival order. */
const framesOf = (socket: SocketClient, jobId: string): JobFrame[] =>
  socket.frames.filter((frame: JobFrame) => frame.jobId === jobId || frame.job?.jobId === jobId);

const versionOf = (frame: JobFrame): number | undefined =>
  frame.type === 'job.snapshot' ? frame.job?.version : frame.version;

const expectSnapshotFirstAndVersionsForward = (frames: JobFrame[]) => {
  expect(frames[0]?.type).toBe('job.snapshot');
  const versions = frames.map(versionOf);
  for (const version of versions) expect(typeof version).toBe('number');
  for (let index = 1; index < versions.length; index += 1) {
    expect(versions[index]).toBeGreaterThanOrEqual(versions[index - 1] as number);
  }
};

describe('WebSocket: snapshot first, versions forward', () => {
  test('sockets subscribing at different moments of a moving job each get the snapshot first, then only newer pushes', async () => {
    const job = await submit('alice', {
      type: 'system.simulate',
      payload: { durationMs: 2000, steps: 8, result: { ok: true } },
    });
    const sockets: SocketClient[] = [];
    try {
      // Staggered over the job's whole life: queued, starting, mid-progress, near the end.
      for (const pause of [0, 150, 400, 800, 1200]) {
        await sleep(pause);
        const socket = await SocketClient.connect('alice');
        sockets.push(socket);
        socket.send({ action: 'subscribe', jobId: job.jobId });
      }
      for (const socket of sockets) {
        await socket.next((frame) => frame.type === 'job.snapshot' && frame.job.jobId === job.jobId);
      }
      // Each socket sees the end: as a push, or in a snapshot taken after the job finished.
      for (const socket of sockets) {
        await socket.next(
          (frame) =>
            (frame.type === 'job.completed' && frame.jobId === job.jobId) ||
            (frame.type === 'job.snapshot' &&
              frame.job.jobId === job.jobId &&
              frame.job.status === 'completed'),
        );
      }
      // Late pushes (a lagging notifier) would show up here.
      await sleep(1000);
      for (const socket of sockets) {
        const frames = framesOf(socket, job.jobId);
        expectSnapshotFirstAndVersionsForward(frames);
        const last = frames.at(-1);
        expect(last?.type === 'job.completed' || last?.job?.status === 'completed').toBe(true);
        // Nothing the first snapshot already showed is pushed after it.
        const snapshotVersion = frames[0]?.job?.version ?? Number.POSITIVE_INFINITY;
        for (const push of frames.slice(1).filter((frame) => frame.type !== 'job.snapshot')) {
          const version = push.version ?? Number.NEGATIVE_INFINITY;
          // A progress write does not bump the version today: same version, later state.
          const newer =
            version > snapshotVersion || (version === snapshotVersion && push.type === 'job.progress');
          expect([push.type, push.status, push.version, newer]).toEqual([
            push.type,
            push.status,
            push.version,
            true,
          ]);
        }
      }
    } finally {
      await Promise.all(sockets.map((socket) => socket.close()));
    }
  });

  test('a delayed job subscribed at once: its snapshot shows `delayed`, and no `delayed` push follows it', async () => {
    const socket = await SocketClient.connect('alice');
    try {
      const job = await submit('alice', {
        type: 'system.simulate',
        payload: { durationMs: 100 },
        delaySeconds: 1,
      });
      socket.send({ action: 'subscribe', jobId: job.jobId });
      await socket.next((frame) => frame.type === 'job.completed' && frame.jobId === job.jobId);
      await sleep(500);
      const frames = framesOf(socket, job.jobId);
      expectSnapshotFirstAndVersionsForward(frames);
      expect(frames[0]).toMatchObject({ type: 'job.snapshot', job: { status: 'delayed', version: 1 } });
      expect(frames.filter((frame) => frame.type === 'job.status' && frame.status === 'delayed')).toEqual([]);
      expect(frames.map((frame) => frame.status ?? frame.job?.status)).toEqual(
        expect.arrayContaining(['queued', 'processing', 'completed']),
      );
      expect(frames.at(-1)?.type).toBe('job.completed');
    } finally {
      await socket.close();
    }
  });

  test('a job submitted by a user with a user-wide subscription is pushed from its first change, with versions', async () => {
    const socket = await SocketClient.connect('carol');
    try {
      socket.send({ action: 'subscribe' });
      await socket.next((frame) => frame.type === 'subscribed');
      const job = await submit('carol', { type: 'system.simulate', payload: { durationMs: 200 } });
      await socket.next((frame) => frame.type === 'job.completed' && frame.jobId === job.jobId);
      const pushes = framesOf(socket, job.jobId);
      // Born watched: even the insert (`queued`, version 1) reaches the notifier.
      expect(pushes[0]).toMatchObject({ type: 'job.status', status: 'queued', version: 1 });
      const versions = pushes.map((push) => push.version ?? 0);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(pushes.at(-1)).toMatchObject({ type: 'job.completed', version: expect.any(Number) });
      expect(pushes.at(-1)?.version).toBeGreaterThan(1);
    } finally {
      await socket.close();
    }
  });
});
