import * as z from 'zod';
import { ValidationError } from '../../../lambdas/core/errors';
import { fieldIssues, limitParam, parseOrThrow } from '../../../lambdas/core/validation';

const issuesOf = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
};

const caught = (run: () => unknown): ValidationError => {
  try {
    run();
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
};

describe('fieldIssues (zod issues → details.fields)', () => {
  const schema = z.object({ steps: z.array(z.number()), name: z.string() });

  test('joins the path with dots, array indices included', () => {
    expect(fieldIssues(issuesOf(schema, { steps: [1, 'two'], name: 'n' }))).toEqual([
      { field: 'steps.1', message: 'Invalid input: expected number, received string' },
    ]);
  });

  test('a prefix leads the path', () => {
    expect(fieldIssues(issuesOf(schema, { steps: [], name: 3 }), 'payload')).toEqual([
      { field: 'payload.name', message: 'Invalid input: expected string, received number' },
    ]);
  });

  test('each unknown key is named itself, under the prefix and the path that holds it', () => {
    const strict = z.strictObject({ inner: z.strictObject({ a: z.string().optional() }) });
    expect(fieldIssues(issuesOf(strict, { inner: { b: 1, c: 2 } }), 'query')).toEqual([
      { field: 'query.inner.b', message: 'is not a known field' },
      { field: 'query.inner.c', message: 'is not a known field' },
    ]);
    expect(fieldIssues(issuesOf(z.strictObject({}), { userId: 'x' }))).toEqual([
      { field: 'userId', message: 'is not a known field' },
    ]);
  });

  test('an issue with the whole value and no prefix is about the (body)', () => {
    expect(fieldIssues(issuesOf(schema, 'text'))).toEqual([
      { field: '(body)', message: 'Invalid input: expected object, received string' },
    ]);
  });

  test('an issue with the whole value under a prefix names the prefix', () => {
    expect(fieldIssues(issuesOf(schema, null), 'payload')).toEqual([
      { field: 'payload', message: 'Invalid input: expected object, received null' },
    ]);
  });

  test('every failing field is listed, in order', () => {
    expect(fieldIssues(issuesOf(schema, {})).map((issue) => issue.field)).toEqual(['steps', 'name']);
  });
});

describe('parseOrThrow', () => {
  const schema = z.object({ count: z.number().int().default(1) });

  test('returns the parsed value, defaults applied', () => {
    expect(parseOrThrow(schema, {}, 'Invalid.')).toEqual({ count: 1 });
  });

  test('throws a 400 ValidationError with the message and every field under the prefix', () => {
    const error = caught(() => parseOrThrow(schema, { count: 1.5 }, 'The payload is invalid.', 'payload'));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe('The payload is invalid.');
    expect(error.details).toEqual({
      fields: [{ field: 'payload.count', message: 'Invalid input: expected int, received number' }],
    });
  });

  test('without a prefix the fields are named from the body', () => {
    const error = caught(() => parseOrThrow(schema, { count: 'x' }, 'Invalid.'));
    expect(error.details).toEqual({
      fields: [{ field: 'count', message: 'Invalid input: expected number, received string' }],
    });
  });
});

describe('limitParam (a whole-number query parameter from 1 to max)', () => {
  const limit = limitParam(100);

  test.each([
    ['1', 1],
    ['42', 42],
    ['100', 100],
    ['007', 7],
  ])('%s → %i', (text, value) => {
    expect(limit.parse(text)).toBe(value);
  });

  test.each([['1.5'], ['a12'], ['12a'], [''], [' 5'], ['-3'], ['1e2']])(
    '%j is not a whole number',
    (text) => {
      expect(issuesOf(limit, text).issues.map((issue) => issue.message)).toEqual(['must be a whole number']);
    },
  );

  test('0 and max + 1 are out of range', () => {
    expect(issuesOf(limit, '0').issues.map((issue) => issue.code)).toEqual(['too_small']);
    expect(issuesOf(limit, '101').issues.map((issue) => issue.code)).toEqual(['too_big']);
  });

  test('numbers are refused: query strings arrive as text', () => {
    expect(limit.safeParse(5).success).toBe(false);
  });
});
