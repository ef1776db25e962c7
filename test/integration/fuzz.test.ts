import fc from 'fast-check';
import {
  contractViolation,
  type FuzzRequest,
  fuzzRuns,
  ROUTES_UNDER_FUZZ,
  requestTo,
  requestToNowhere,
} from '../support/http-fuzz';
import { stack } from './support/client';
import { localToken } from './support/tokens';

/**
 * The fuzz property end to end: hostile requests over HTTP to the local cloud (gateway,
 * JWT authorizer, API function, DynamoDB Local), as one user of its own (so its rate
 * window is its own: 429s are expected and fine). Never a 5xx, never a leak, every
 * non-2xx in the contract's error shape. About 300 requests; `npm run fuzz` sends more.
 */
const FUZZ_USER = 'fuzz-user';
const TOTAL_REQUESTS = fuzzRuns(300);
const perProperty = Math.max(1, Math.ceil(TOTAL_REQUESTS / (ROUTES_UNDER_FUZZ.length + 1)));

let authorization = '';
beforeAll(() => {
  authorization = `Bearer ${localToken(FUZZ_USER)}`;
});

/** Nothing the fuzz sends may crash a worker or keep one busy (crash is generated out). */
const harmless = (request: FuzzRequest): boolean => {
  const body = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString() : request.body;
  return !/"crash"\s*:\s*true/.test(body ?? '');
};

const send = async (request: FuzzRequest): Promise<{ status: number; body: string }> => {
  const query = new URLSearchParams(request.query as Record<string, string>).toString();
  const url = `${stack().httpUrl}${request.path}${query ? `?${query}` : ''}`;
  // Over HTTP the gateway chooses the encoding: a non-text content type arrives base64-encoded.
  const body = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64') : request.body;
  const response = await fetch(url, {
    method: request.method,
    headers: { ...request.headers, authorization },
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
  });
  return { status: response.status, body: await response.text() };
};

const answersInContract = async (request: FuzzRequest) => {
  const { status, body } = await send(request);
  const violation = contractViolation(status, body);
  if (violation) throw new Error(`${request.method} ${request.path} → ${violation}`);
};

test('the fuzz user is a real caller: a valid submission is accepted', async () => {
  const response = await fetch(`${stack().httpUrl}/v1/jobs`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'system.simulate', payload: { durationMs: 0 } }),
  });
  expect(response.status).toBe(202);
});

test.each(
  ROUTES_UNDER_FUZZ.map((definition) => [`${definition.method} ${definition.path}`, definition] as const),
)('%s: hostile requests never get a 5xx or an answer outside the contract', async (_routeKey, definition) => {
  await fc.assert(
    fc.asyncProperty(requestTo(definition, { allowCrash: false }).filter(harmless), answersInContract),
    { numRuns: perProperty },
  );
});

test('requests to no route never get a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(requestToNowhere({ allowCrash: false }).filter(harmless), answersInContract),
    { numRuns: perProperty },
  );
});

test.each([
  ['a malformed escape in a path parameter', 'GET', '/v1/jobs/%E0%A4%A', undefined],
  ['a path starting with //', 'GET', '//v1/jobs', undefined],
  [
    'metadata 40 levels deep',
    'POST',
    '/v1/jobs',
    `{"type":"system.simulate","payload":{},"metadata":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
  ],
  [
    'a payload 20,000 levels deep',
    'POST',
    '/v1/jobs',
    `{"type":"system.simulate","payload":{"result":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
  ],
  ['1e200 in metadata', 'POST', '/v1/jobs', '{"type":"system.simulate","payload":{},"metadata":{"n":1e200}}'],
  [
    '9007199254740993 in a payload',
    'POST',
    '/v1/jobs',
    '{"type":"system.simulate","payload":{"result":9007199254740993}}',
  ],
  ['a 10,000-year stats window', 'GET', '/v1/stats?from=0001-01-01&to=9999-12-31', undefined],
])(
  '%s answers 4xx in the contract shape',
  async (_name: string, method: string, path: string, body: string | undefined) => {
    const started = Date.now();
    const response = await fetch(`${stack().httpUrl}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    expect(contractViolation(response.status, text)).toBeUndefined();
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(3000);
  },
);
