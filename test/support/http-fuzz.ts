import fc from 'fast-check';
import { ROUTES, type RouteDefinition } from '../../lambdas/api/route-table';
import { jobTypeNames } from '../../lambdas/jobs/registry';

/**
 * Hostile HTTP requests for the fuzz tests, shared by the unit layer (the router called
 * directly) and the end-to-end layer (the local cloud over HTTP): path parameters, query
 * strings, headers and bodies of every kind a client could send.
 */
export interface FuzzRequest {
  readonly method: string;
  /** The path with parameters filled in, each segment percent-encoded. */
  readonly path: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The gateway hands a non-text body to the function base64-encoded. */
  readonly isBase64Encoded: boolean;
}

/** Runs per property: small in `npm test`, many more under `npm run fuzz` (FUZZ_RUNS). */
export const fuzzRuns = (fallback: number): number => {
  const configured = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(configured) && configured > 0 ? configured : fallback;
};

/** A job id that exists in the unit layer's table. */
export const KNOWN_JOB_ID = '01JD0000000000000000000000';

const PRIORITY_NAMES = ['critical', 'high', 'normal', 'low'] as const;

/** Numbers as text, for the spellings JSON.parse bends: overflow, rounding, underflow. */
const HOSTILE_NUMBERS = [
  '1e400',
  '-1e400',
  '1e200',
  '1e126',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1e-400',
  '1e-131',
  '-0',
  '0.1',
] as const;

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const nonEmptyText = text.filter((value) => value.length > 0);

const pathValue = fc.oneof(
  fc.constant(KNOWN_JOB_ID),
  fc.stringMatching(/^[0-9A-Z]{26}$/),
  fc.constantFrom(...PRIORITY_NAMES),
  fc.constantFrom('', '.', '..', '%', '%E0%A4%A', 'CRITICAL', '0', '-1', 'null'),
  text,
);

const queryValue = fc.oneof(
  text,
  fc.constantFrom('0', '1', '20', '100', '101', '1000', '-1', '1.5', 'NaN', ...HOSTILE_NUMBERS),
  fc.constantFrom('0001-01-01', '9999-12-31', '2026-02-30', '2026-11-23', '2026-13-01', '0000-00-00'),
  fc.constantFrom('queued', 'failed', 'completed', 'system.simulate', 'YWJj', '____'),
  fc.constant('x'.repeat(600)),
);

const queryKey = fc.oneof(
  fc.constantFrom('status', 'type', 'limit', 'cursor', 'from', 'to', 'userId', 'priority'),
  fc.string({ minLength: 1, maxLength: 10 }),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'image/png',
);

const idempotencyKey = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }).filter((key) => /^[\x21-\x7e]+$/.test(key)),
  fc.constantFrom('k'.repeat(128), 'k'.repeat(129), 'a#b', 'order/1', 'x'),
);

const headers = fc
  .record(
    {
      'content-type': contentType,
      'idempotency-key': idempotencyKey,
      'x-random': fc.string({ maxLength: 10 }),
    },
    { requiredKeys: [] },
  )
  // HTTP header values must be Latin-1 without control characters.
  .map((record) =>
    Object.fromEntries(Object.entries(record).filter(([, value]) => /^[\x20-\x7e]*$/.test(value))),
  );

/**
 * A nested JSON text, of arrays or objects: just past the bound, past DynamoDB's 32, or
 * thousands deep (what overflows a recursive walk; JSON.parse itself copes).
 */
const deepText = fc
  .tuple(
    fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(17, 33, 40) },
      { weight: 3, arbitrary: fc.integer({ min: 5000, max: 20_000 }) },
    ),
    fc.boolean(),
  )
  .map(([levels, objects]) =>
    objects
      ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`
      : `${'['.repeat(levels)}${']'.repeat(levels)}`,
  );

/**
 * JSON values a careful client sends: numbers DynamoDB can hold exactly, non-empty keys.
 * (fc.jsonValue's doubles reach 1e308, which the bounds refuse, so hostile values are
 * mixed in on purpose below rather than everywhere.)
 */
const storableJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 3 },
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc
      .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
      .filter((value) => value === 0 || Math.abs(value) >= 1e-100),
    text,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** JSON values, sometimes with a hostile number or deep nesting spliced in as text. */
const jsonText = fc.oneof(
  { weight: 2, arbitrary: storableJson.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: deepText },
);

/** JSON text that JSON.parse bends (huge or tiny numbers) or that nests deep. */
const hostileJsonText = fc.oneof(fc.constantFrom(...HOSTILE_NUMBERS), deepText);

/** Mostly a valid value (so the request reaches deeper code), sometimes anything at all. */
const mostly = (valid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: jsonText });

const simulatePayload = (allowCrash: boolean) =>
  fc
    .record(
      {
        durationMs: fc.oneof(
          { weight: 9, arbitrary: fc.integer({ min: 0, max: 20 }).map(String) },
          { weight: 1, arbitrary: fc.constantFrom('-1', '1.5', '600001', ...HOSTILE_NUMBERS) },
        ),
        steps: mostly(fc.constantFrom('1', '2', '3')),
        failWith: mostly(fc.constantFrom('"retryable"', '"fatal"')),
        ...(allowCrash ? { crash: fc.boolean().map(String) } : {}),
        result: fc.oneof(
          { weight: 1, arbitrary: storableJson.map((value) => JSON.stringify(value)) },
          { weight: 2, arbitrary: hostileJsonText },
        ),
      },
      { requiredKeys: [] },
    )
    .map(objectText);

/** `{"k":<text>,...}` from fields that are already JSON texts. */
function objectText(fields: Readonly<Record<string, string>>): string {
  return `{${Object.entries(fields)
    .map(([key, value]) => `${JSON.stringify(key)}:${value}`)
    .join(',')}}`;
}

/**
 * Submissions, built as JSON text so that numbers and nesting JSON.parse would bend reach
 * the server as sent. Most fields are valid most of the time, so hostile `payload` and
 * `metadata` values get past the plain checks and reach the store, the hash and the answer.
 */
const submissionText = (allowCrash: boolean) =>
  fc
    .record(
      {
        type: fc.oneof(
          { weight: 4, arbitrary: fc.constant('"system.simulate"') },
          { weight: 1, arbitrary: fc.constantFrom(...jobTypeNames()).map((name) => JSON.stringify(name)) },
          { weight: 1, arbitrary: text.map((value) => JSON.stringify(value)) },
        ),
        payload: mostly(simulatePayload(allowCrash)),
        priority: mostly(
          fc.oneof(
            fc.constantFrom(...PRIORITY_NAMES).map((name) => JSON.stringify(name)),
            fc.integer({ min: 1, max: 20 }).map(String),
          ),
        ),
        delaySeconds: mostly(fc.integer({ min: 0, max: 3 }).map(String)),
        maxAttempts: mostly(fc.integer({ min: 1, max: 3 }).map(String)),
        correlationId: mostly(nonEmptyText.map((value) => JSON.stringify(value))),
        entity: mostly(
          fc.record({ name: nonEmptyText, id: nonEmptyText }).map((value) => JSON.stringify(value)),
        ),
        metadata: fc.oneof(
          {
            weight: 2,
            arbitrary: fc
              .dictionary(fc.string({ minLength: 1, maxLength: 8 }), storableJson)
              .map((value) => JSON.stringify(value)),
          },
          {
            weight: 2,
            arbitrary: fc
              .dictionary(fc.string({ minLength: 1, maxLength: 8 }), hostileJsonText, {
                minKeys: 1,
                maxKeys: 2,
              })
              .map(objectText),
          },
          { weight: 1, arbitrary: jsonText },
        ),
      },
      { requiredKeys: ['type', 'payload'] },
    )
    .chain((fields) =>
      // Rarely runAt as well (alongside delaySeconds it is a 400 of its own).
      fc
        .oneof(
          { weight: 7, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              '"2026-01-01T00:00:00Z"',
              '"not a date"',
              '"9999-12-31T23:59:59Z"',
              '0',
            ),
          },
        )
        .map((runAt) => objectText(runAt === undefined ? fields : { ...fields, runAt })),
    );

const uploadText = fc
  .record(
    {
      fileName: fc.oneof(text, fc.constantFrom('cv.pdf', '../etc/passwd', 'a/b', 'x'.repeat(300))),
      contentType: fc.oneof(fc.constantFrom('application/pdf', 'text/plain', 'no-slash'), text),
      bytes: fc.oneof(fc.integer({ min: -1, max: 20_000_000 }), fc.constantFrom(0, 1.5)),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value));

const batchText = (allowCrash: boolean) =>
  fc
    .array(
      fc.oneof({ weight: 4, arbitrary: submissionText(allowCrash) }, { weight: 1, arbitrary: jsonText }),
      {
        minLength: 0,
        maxLength: 4,
      },
    )
    .map((jobs) => `{"jobs":[${jobs.join(',')}]}`);

/**
 * Request bodies: nothing, junk text, any JSON, near-valid submissions, batches, uploads;
 * a route that reads a body mostly gets its own kind, so hostile values reach deep code.
 */
export const bodyText = (
  route: RouteDefinition,
  options: { allowCrash: boolean },
): fc.Arbitrary<string | undefined> => {
  const own =
    route.path === '/v1/jobs' && route.method === 'POST'
      ? submissionText(options.allowCrash)
      : route.path === '/v1/jobs/batch'
        ? batchText(options.allowCrash)
        : route.path === '/v1/uploads'
          ? uploadText
          : undefined;
  return fc.oneof(
    ...(own ? [{ weight: 12, arbitrary: own }] : []),
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', 'null', '[]', '"text"', '{"jobs":', '\u0000') },
    { weight: 1, arbitrary: text },
    { weight: 2, arbitrary: jsonText },
    { weight: 2, arbitrary: submissionText(options.allowCrash) },
    { weight: 1, arbitrary: batchText(options.allowCrash) },
    { weight: 1, arbitrary: uploadText },
  );
};

const fillPath = (path: string, parameters: Readonly<Record<string, string>>): string =>
  path.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(parameters[name] ?? ''));

const parameterNames = (path: string): string[] =>
  [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);

/** Requests to one route of the table, with everything around it hostile. */
export const requestTo = (
  route: RouteDefinition,
  options: { allowCrash: boolean },
): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      parameters: fc.tuple(...parameterNames(route.path).map(() => pathValue)),
      query: fc.dictionary(queryKey, queryValue, { maxKeys: 4 }),
      headers,
      body: bodyText(route, options),
      base64: fc.boolean(),
    })
    .map(({ parameters, query, headers: requestHeaders, body, base64 }) => {
      const pathParameters = Object.fromEntries(
        parameterNames(route.path).map((name, index) => [name, parameters[index] as string]),
      );
      const isBase64Encoded = base64 && body !== undefined;
      return {
        method: route.method,
        path: fillPath(route.path, pathParameters),
        pathParameters,
        query,
        headers: requestHeaders,
        body: isBase64Encoded ? Buffer.from(body ?? '', 'utf8').toString('base64') : body,
        isBase64Encoded,
      };
    });

/** Requests to no route at all: other methods, unknown paths. */
export const requestToNowhere = (options: { allowCrash: boolean }): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
      segments: fc.array(fc.oneof(fc.constantFrom('v1', 'jobs', 'admin', 'queues', 'v2'), text), {
        minLength: 0,
        maxLength: 4,
      }),
      query: fc.dictionary(queryKey, queryValue, { maxKeys: 2 }),
      headers,
      body: bodyText({ method: 'GET', path: '/', authorized: true }, options),
    })
    .map(({ method, segments, query, headers: requestHeaders, body }) => ({
      method,
      path: `/${segments.map((segment) => encodeURIComponent(segment)).join('/')}`,
      pathParameters: {},
      query,
      headers: requestHeaders,
      body,
      isBase64Encoded: false,
    }));

export const ROUTES_UNDER_FUZZ: readonly RouteDefinition[] = ROUTES;

/** Signs of internals leaking: a stack frame, an exception class, an ARN. */
const LEAK = /\bat [\w.<>]+ \(|\n\s+at |Exception\b|RangeError|TypeError|SyntaxError|arn:aws:/;

/**
 * What every answer must be: never a 5xx, never a leak, and every non-2xx in the contract's
 * shape `{ error: { code, message, details? } }`. Returns a description of what is wrong.
 */
export const contractViolation = (status: number, body: string | undefined): string | undefined => {
  if (status >= 500) return `status ${status}`;
  if (body && LEAK.test(body)) return `internals leaked: ${body.slice(0, 300)}`;
  if (status < 400) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return `non-JSON error body: ${String(body).slice(0, 200)}`;
  }
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    Object.keys(parsed).join() !== 'error' ||
    !error ||
    typeof error.code !== 'string' ||
    !/^[A-Z][A-Z_]*$/.test(error.code) ||
    typeof error.message !== 'string' ||
    Object.keys(error).some((key) => !['code', 'message', 'details'].includes(key))
  ) {
    return `not the contract's error body: ${String(body).slice(0, 300)}`;
  }
  return undefined;
};
