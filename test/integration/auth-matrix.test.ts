import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { ROUTES, type RouteDefinition } from '../../lambdas/api/route-table';
import { stack } from './support/client';
import { badTokens, localToken } from './support/tokens';

/**
 * The authorization matrix, generated from the route table: every route × every kind of
 * caller → the status the contract promises. A route added to ROUTES without a row in
 * EXPECTATIONS fails here, so no route ships unexamined.
 */
const OWNER = 'matrix-owner';
const STRANGER = 'matrix-stranger';
const ADMIN = 'matrix-admin';

/** Tokens that authenticate nobody: the gateway answers 401 `{"message":"Unauthorized"}`. */
const BAD_TOKENS = [
  'noToken',
  'expired',
  'wrongIssuer',
  'wrongAudience',
  'tamperedSignature',
  'algNone',
  'foreignKey',
] as const;
/** Validly signed, but naming no acceptable user: the API answers 401 UNAUTHORIZED itself. */
const UNSAFE_SUBJECT = 'unsafeSubject';
/** A signed-in user whose `cognito:groups` only looks like admin ("admin", not an array). */
const LOOKALIKE_ADMIN = 'lookalikeAdmin';
const CALLERS = ['owner', 'otherUser', 'admin'] as const;
const IDENTITIES = [...BAD_TOKENS, UNSAFE_SUBJECT, LOOKALIKE_ADMIN, ...CALLERS] as const;
type Identity = (typeof IDENTITIES)[number];

type Fixture = 'delayedJob' | 'cancelledJob';

interface Expectation {
  /** A job of the owner the request acts on (fresh for every caller, so states never mix). */
  readonly needs?: Fixture;
  /** Values of path parameters other than `{jobId}`. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Status for the job's owner (on routes without a job: any signed-in user). */
  readonly owner: number;
  /** Status for another signed-in user who is not an admin. */
  readonly otherUser: number;
  readonly admin: number;
}

const SUBMISSION = { type: 'system.simulate', payload: { durationMs: 0 } };
const JOB_READ: Expectation = { needs: 'delayedJob', owner: 200, otherUser: 404, admin: 200 };
const ADMIN_ONLY: Expectation = { owner: 403, otherUser: 403, admin: 200 };
/**
 * Admin actions with side effects on shared queues are aimed at a queue that does not
 * exist: an admin gets past authorization to the contract's 404 ("unknown priority"),
 * anyone else stops at 403, and no queue other tests use is paused or emptied.
 */
const ADMIN_QUEUE_ACTION: Expectation = {
  parameters: { priority: 'no-such-queue' },
  owner: 403,
  otherUser: 403,
  admin: 404,
};

/** One row per route (CONTRACT.md). Rows for routes not in ROUTES yet wait for them. */
const EXPECTATIONS: Readonly<Record<string, Expectation>> = {
  'GET /v1/health': { owner: 200, otherUser: 200, admin: 200 },
  'POST /v1/jobs': { body: SUBMISSION, owner: 202, otherUser: 202, admin: 202 },
  'POST /v1/jobs/batch': { body: { jobs: [SUBMISSION] }, owner: 202, otherUser: 202, admin: 202 },
  'GET /v1/jobs': { owner: 200, otherUser: 200, admin: 200 },
  'GET /v1/jobs/{jobId}': JOB_READ,
  'GET /v1/jobs/{jobId}/events': JOB_READ,
  'GET /v1/jobs/{jobId}/items': JOB_READ,
  'POST /v1/jobs/{jobId}/cancel': { needs: 'delayedJob', owner: 202, otherUser: 404, admin: 202 },
  'POST /v1/jobs/{jobId}/retry': { needs: 'cancelledJob', owner: 202, otherUser: 404, admin: 202 },
  'DELETE /v1/jobs/{jobId}': { needs: 'cancelledJob', owner: 204, otherUser: 404, admin: 204 },
  'POST /v1/uploads': {
    body: { fileName: 'cv.txt', contentType: 'text/plain', bytes: 12 },
    owner: 201,
    otherUser: 201,
    admin: 201,
  },
  'GET /v1/stats': { owner: 200, otherUser: 200, admin: 200 },
  'GET /v1/notifications': { owner: 200, otherUser: 200, admin: 200 },
  'GET /v1/webhooks/secret': { owner: 200, otherUser: 200, admin: 200 },
  'GET /v1/queues': ADMIN_ONLY,
  'POST /v1/queues/{priority}/pause': ADMIN_QUEUE_ACTION,
  'POST /v1/queues/{priority}/resume': ADMIN_QUEUE_ACTION,
  // A peek holds dead letters for a moment: on the queue no other end-to-end test reads.
  'GET /v1/queues/{priority}/dlq': { ...ADMIN_ONLY, parameters: { priority: 'critical' } },
  'POST /v1/queues/{priority}/dlq/redrive': ADMIN_QUEUE_ACTION,
  'POST /v1/queues/{priority}/dlq/purge': ADMIN_QUEUE_ACTION,
  'GET /v1/admin/jobs': ADMIN_ONLY,
  'GET /v1/admin/alarms': ADMIN_ONLY,
  // Old enough that nothing is removed; the job it starts is the answer.
  'POST /v1/admin/clean': {
    body: { status: 'completed', olderThanDays: 3650 },
    owner: 403,
    otherUser: 403,
    admin: 202,
  },
  // A type only the stack submits, so no other test's failed job is retried.
  'POST /v1/admin/jobs/retry': {
    body: { status: 'failed', type: 'analytics.rollup', limit: 1 },
    owner: 403,
    otherUser: 403,
    admin: 202,
  },
};

const routeKey = (route: RouteDefinition) => `${route.method} ${route.path}`;

const tokens = (): Record<Identity, string | undefined> => ({
  noToken: undefined,
  ...badTokens(OWNER),
  [UNSAFE_SUBJECT]: localToken(`${OWNER}#1`),
  [LOOKALIKE_ADMIN]: localToken(STRANGER, { 'cognito:groups': 'admin' }),
  owner: localToken(OWNER),
  otherUser: localToken(STRANGER),
  admin: localToken(ADMIN, { 'cognito:groups': ['admin'] }),
});

/**
 * One HTTP call on a connection of its own: the cases run side by side, and a reused
 * keep-alive connection the server is just closing would fail a case for no reason.
 */
const call = (
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: any }> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const request = httpRequest(
      `${stack().httpUrl}${path}`,
      { method, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });

/** A job of the owner in the state the route needs. */
const makeJob = async (fixture: Fixture): Promise<string> => {
  const owner = tokens().owner;
  const created = await call('POST', '/v1/jobs', owner, { ...SUBMISSION, delaySeconds: 600 });
  expect(created.status).toBe(202);
  const jobId = String(created.body.jobId);
  if (fixture === 'cancelledJob')
    expect((await call('POST', `/v1/jobs/${jobId}/cancel`, owner)).status).toBe(202);
  return jobId;
};

let shared: Promise<string> | undefined;
const sharedJob = (): Promise<string> => {
  shared ??= makeJob('delayedJob');
  return shared;
};

const expectedStatus = (route: RouteDefinition, expectation: Expectation, identity: Identity): number => {
  if ((CALLERS as readonly string[]).includes(identity))
    return expectation[identity as (typeof CALLERS)[number]];
  // A stranger whose groups merely look like admin is treated as exactly that: a stranger.
  if (identity === LOOKALIKE_ADMIN) return expectation.otherUser;
  // A route open to anyone ignores whatever token comes along.
  return route.authorized ? 401 : expectation.owner;
};

test('every route of the route table has a row in the matrix', () => {
  expect(ROUTES.map(routeKey).filter((key) => !Object.hasOwn(EXPECTATIONS, key))).toEqual([]);
});

describe.each(ROUTES.map((route) => [routeKey(route), route] as const))('%s', (key, route) => {
  // Each case makes its own job, so they run side by side.
  test.concurrent.each(IDENTITIES.map((identity) => [identity]))('%s', async (identity) => {
    const expectation = EXPECTATIONS[key];
    if (!expectation) throw new Error(`No expectation for ${key}: add a row to EXPECTATIONS`);
    // Callers that reach the API get a fresh job each; refused tokens share one (never touched).
    const reachesApi = (CALLERS as readonly string[]).includes(identity) || identity === LOOKALIKE_ADMIN;
    const jobId = expectation.needs
      ? await (reachesApi ? makeJob(expectation.needs) : sharedJob())
      : undefined;
    const path = route.path.replace(/\{(\w+)\}/g, (_match, name: string) =>
      encodeURIComponent(name === 'jobId' ? (jobId ?? '') : (expectation.parameters?.[name] ?? '')),
    );
    const reply = await call(route.method, path, tokens()[identity], expectation.body);
    const expected = expectedStatus(route, expectation, identity);
    expect({ identity, status: reply.status }).toEqual({ identity, status: expected });
    if (expected === 401 && (BAD_TOKENS as readonly string[]).includes(identity)) {
      expect(reply.body).toEqual({ message: 'Unauthorized' });
    } else if (expected >= 400) {
      expect(reply.body.error.code).toEqual(
        { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[expected as 401 | 403 | 404],
      );
    }
    // What another user learns of a job is exactly what a missing job answers.
    if (identity === 'otherUser' && expected === 404) {
      const missing = await call(
        route.method,
        path.replace(jobId ?? '', '01JD0000000000000000000000'),
        tokens()[identity],
        expectation.body,
      );
      expect(reply.body).toEqual(missing.body);
    }
  });
});

describe('WebSocket upgrade', () => {
  const connect = (token: string | undefined): Promise<number> =>
    new Promise((resolve, reject) => {
      const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
      const socket = new WebSocket(`${stack().wsUrl}${query}`);
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', reject);
    });

  test.each(IDENTITIES.map((identity) => [identity]))('%s', async (identity) => {
    const refused = (BAD_TOKENS as readonly string[]).includes(identity) || identity === UNSAFE_SUBJECT;
    expect({ identity, status: await connect(tokens()[identity]) }).toEqual({
      identity,
      status: refused ? 401 : 101,
    });
  });
});
