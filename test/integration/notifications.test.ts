import { randomUUID } from 'node:crypto';
import { type Reply, SocketClient, stack } from './support/client';
import { localToken } from './support/tokens';

/**
 * CONTRACT.md: `user.notify` sends a `user.notification` frame to every open WebSocket
 * connection of its target (no subscription needed) and keeps it for
 * `GET /v1/notifications`. Users notify only themselves (403 otherwise), admins anyone.
 * Users are minted per run, so every list starts empty.
 */
const run = randomUUID().slice(0, 8);
const userId = (name: string) => `notify-${run}-${name}`;
const tokenOf = (name: string, admin = false) =>
  localToken(userId(name), admin ? { 'cognito:groups': ['admin'] } : {});

const call = async (method: string, route: string, token: string, body?: unknown): Promise<Reply> => {
  const response = await fetch(`${stack().httpUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
};

const notify = (token: string, payload: Record<string, unknown>) =>
  call('POST', '/v1/jobs', token, { type: 'user.notify', payload });

interface NotificationView {
  readonly id: string;
  readonly at: string;
  readonly level: string;
  readonly title: string;
  readonly message: string;
  readonly link?: string;
}

const isNotification = (id: string) => (frame: { type?: string; notification?: NotificationView }) =>
  frame.type === 'user.notification' && frame.notification?.id === id;

const idsOf = (reply: Reply): string[] =>
  (reply.body.notifications as NotificationView[]).map((notification) => notification.id);

const sockets: SocketClient[] = [];
const connect = async (token: string) => {
  const socket = await SocketClient.connect(token);
  sockets.push(socket);
  return socket;
};

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
});

test('a user with an open socket (no subscribe sent) gets the notification they sent themselves, and it is listed', async () => {
  const token = tokenOf('self');
  const socket = await connect(token);
  const submitted = await notify(token, {
    level: 'success',
    title: 'Export ready',
    message: 'Your CSV is ready.',
    link: 'https://app.example.com/exports/1',
  });
  expect(submitted.status).toBe(202);
  expect(submitted.body).toMatchObject({ type: 'user.notify', priority: 'high' });
  const jobId = String(submitted.body.jobId);

  const frame = await socket.next(isNotification(jobId), 30_000);
  expect(frame).toEqual({
    type: 'user.notification',
    notification: {
      id: jobId,
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      level: 'success',
      title: 'Export ready',
      message: 'Your CSV is ready.',
      link: 'https://app.example.com/exports/1',
    },
  });
  const listed = await call('GET', '/v1/notifications', token);
  expect(listed.status).toBe(200);
  expect(listed.body).toEqual({ notifications: [frame.notification] });
});

test('an admin notifies another user, who gets it on both open connections; the admin gets nothing', async () => {
  const admin = tokenOf('admin', true);
  const target = tokenOf('target');
  const [first, second, adminSocket] = await Promise.all([connect(target), connect(target), connect(admin)]);
  const submitted = await notify(admin, {
    userId: userId('target'),
    level: 'warning',
    title: 'Maintenance',
    message: 'Tonight 22:00–23:00 UTC.',
  });
  expect(submitted.status).toBe(202);
  const jobId = String(submitted.body.jobId);

  const frames = await Promise.all(
    [first, second].map((socket) => socket.next(isNotification(jobId), 30_000)),
  );
  expect(frames[0]).toEqual(frames[1]);
  expect(frames[0].notification).toMatchObject({ level: 'warning', title: 'Maintenance' });
  expect(frames[0].notification).not.toHaveProperty('link');

  const job = await call('GET', `/v1/jobs/${jobId}`, admin);
  expect(job.body).toMatchObject({ status: 'completed', result: { notificationId: jobId, delivered: 2 } });
  expect(adminSocket.frames.filter((frame) => frame.type === 'user.notification')).toEqual([]);
  // The notification is the target's, not the admin's.
  expect((await call('GET', '/v1/notifications', admin)).body).toEqual({ notifications: [] });
  expect(idsOf(await call('GET', '/v1/notifications', target))).toEqual([jobId]);
});

test("a user naming another user is refused 403 in the contract's shape, and nothing reaches that user", async () => {
  const victim = tokenOf('victim');
  const socket = await connect(victim);
  const refused = await notify(tokenOf('mallory'), {
    userId: userId('victim'),
    level: 'error',
    title: 'Your account is locked',
    message: 'Log in again here.',
    link: 'https://evil.example/login',
  });
  expect(refused.status).toBe(403);
  expect(refused.body).toEqual({
    error: { code: 'FORBIDDEN', message: expect.any(String), details: { rule: 'notifyOthers' } },
  });
  const badLink = await notify(victim, {
    level: 'info',
    title: 'x',
    message: 'y',
    link: 'javascript:alert(1)',
  });
  expect(badLink.status).toBe(400);
  expect(badLink.body.error.details.fields).toEqual([expect.objectContaining({ field: 'payload.link' })]);
  expect((await call('GET', '/v1/notifications', victim)).body).toEqual({ notifications: [] });
  expect(socket.frames).toEqual([]);
});

test('GET /v1/notifications lists newest first with the contract fields, honours limit, refuses a bad one, and is per user', async () => {
  const token = tokenOf('lister');
  const ids: string[] = [];
  for (const index of [1, 2, 3]) {
    const submitted = await notify(token, {
      level: 'info',
      title: `Step ${index}`,
      message: `Step ${index} done.`,
    });
    expect(submitted.status).toBe(202);
    ids.push(String(submitted.body.jobId));
  }
  const all = await (async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const reply = await call('GET', '/v1/notifications', token);
      if (reply.body?.notifications?.length === 3 || Date.now() > deadline) return reply;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  expect(all.status).toBe(200);
  const notifications = all.body.notifications as NotificationView[];
  expect(notifications.map((note) => note.id)).toEqual([...ids].reverse());
  expect(notifications.map((note) => note.title)).toEqual(['Step 3', 'Step 2', 'Step 1']);
  for (const note of notifications)
    expect(Object.keys(note).sort()).toEqual(['at', 'id', 'level', 'message', 'title']);
  const times = notifications.map((note) => Date.parse(note.at));
  expect([...times].sort((a, b) => b - a)).toEqual(times);

  const two = await call('GET', '/v1/notifications?limit=2', token);
  expect(idsOf(two)).toEqual([ids[2], ids[1]]);
  for (const limit of ['0', '51', 'abc']) {
    const bad = await call('GET', `/v1/notifications?limit=${limit}`, token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
  }
  // Another user, admins included, sees none of them.
  for (const other of [tokenOf('someone-else'), tokenOf('another-admin', true)]) {
    expect((await call('GET', '/v1/notifications', other)).body).toEqual({ notifications: [] });
  }
});
