import { header, json, jsonBody, MAX_BODY_BYTES, userOf } from '../../../lambdas/api/http';
import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../../lambdas/core/errors';
import { httpEvent } from '../support/http-event';

const post = (rawBody?: string, isBase64Encoded = false) => ({
  ...httpEvent('POST /v1/jobs', '/v1/jobs', { rawBody }),
  isBase64Encoded,
});

describe('json', () => {
  test('a JSON body with exactly the JSON content type', () => {
    expect(json(201, { a: [1, 'b'] })).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"a":[1,"b"]}',
    });
  });

  test('extra headers join the content type', () => {
    expect(json(429, null, { 'retry-after': '7' })).toEqual({
      statusCode: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '7' },
      body: 'null',
    });
  });
});

describe('jsonBody', () => {
  test('parses the body', () => {
    expect(jsonBody(post('{"type":"t","n":[1,2]}'))).toEqual({ type: 't', n: [1, 2] });
  });

  test('decodes a base64-encoded body first', () => {
    const text = JSON.stringify({ type: 'tést', n: 1 });
    expect(jsonBody(post(Buffer.from(text, 'utf8').toString('base64'), true))).toEqual({
      type: 'tést',
      n: 1,
    });
  });

  test.each([
    ['no body', undefined],
    ['an empty body', ''],
    ['a body of whitespace', ' \n\t '],
  ])('%s is a ValidationError asking for a JSON object', (_case, rawBody) => {
    expect(() => jsonBody(post(rawBody))).toThrow(
      new ValidationError('The request body must be a JSON object.'),
    );
  });

  test.each(['{"type":', 'undefined', "{'a':1}"])('%j is a ValidationError for invalid JSON', (rawBody) => {
    expect(() => jsonBody(post(rawBody))).toThrow(new ValidationError('The request body is not valid JSON.'));
  });

  test('a body of exactly the limit is read', () => {
    const rawBody = `{}${' '.repeat(MAX_BODY_BYTES - 2)}`;
    expect(Buffer.byteLength(rawBody)).toBe(256 * 1024);
    expect(jsonBody(post(rawBody))).toEqual({});
  });

  test('one byte more is PayloadTooLarge, naming both sizes and the way around it', () => {
    const rawBody = `{}${' '.repeat(MAX_BODY_BYTES - 1)}`;
    const read = () => jsonBody(post(rawBody));
    expect(read).toThrow(PayloadTooLargeError);
    expect(read).toThrow(
      'The request body is 262145 bytes; the limit is 262144. Upload large input with POST /v1/uploads.',
    );
  });

  test('the limit counts bytes, not characters', () => {
    const rawBody = `"${'é'.repeat(MAX_BODY_BYTES / 2)}"`;
    expect(rawBody.length).toBeLessThan(MAX_BODY_BYTES);
    expect(() => jsonBody(post(rawBody))).toThrow(PayloadTooLargeError);
  });

  test('a base64 body is measured decoded: its text may be longer than the limit', () => {
    const decoded = `{}${' '.repeat(MAX_BODY_BYTES - 2)}`;
    const encoded = Buffer.from(decoded, 'utf8').toString('base64');
    expect(encoded.length).toBeGreaterThan(MAX_BODY_BYTES);
    expect(jsonBody(post(encoded, true))).toEqual({});
  });
});

describe('header', () => {
  const withHeaders = (headers: Record<string, string> | undefined) => ({
    ...httpEvent('GET /v1/jobs', '/v1/jobs'),
    headers: headers as Record<string, string>,
  });

  test.each([
    ['idempotency-key', { 'Idempotency-Key': 'k1' }],
    ['Idempotency-Key', { 'idempotency-key': 'k1' }],
    ['IDEMPOTENCY-KEY', { 'IdEmPoTeNcY-kEy': 'k1' }],
  ])('finds %s whatever the case of either side', (name, headers) => {
    expect(header(withHeaders({ accept: 'x', ...headers }), name)).toBe('k1');
  });

  test('a header that is not there is undefined, with or without headers', () => {
    expect(header(withHeaders({ accept: 'x' }), 'idempotency-key')).toBeUndefined();
    expect(header(withHeaders(undefined), 'idempotency-key')).toBeUndefined();
  });
});

describe('userOf', () => {
  test('the caller is the token’s subject; an admin group makes an admin', () => {
    expect(userOf(httpEvent('GET /v1/jobs', '/v1/jobs', { user: 'alice' }))).toEqual({
      id: 'alice',
      isAdmin: false,
    });
    expect(userOf(httpEvent('GET /v1/jobs', '/v1/jobs', { user: 'root', groups: '[admin]' }))).toEqual({
      id: 'root',
      isAdmin: true,
    });
  });

  test('no subject, or no authorizer context at all, is Unauthorized', () => {
    expect(() => userOf(httpEvent('GET /v1/jobs', '/v1/jobs', { user: null }))).toThrow(UnauthorizedError);
    const event = httpEvent('GET /v1/jobs', '/v1/jobs');
    const bare = { ...event, requestContext: { ...event.requestContext, authorizer: undefined } };
    expect(() => userOf(bare as unknown as typeof event)).toThrow(
      new UnauthorizedError('A valid bearer token is required.'),
    );
  });
});
