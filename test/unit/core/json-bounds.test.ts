import { jsonBoundsIssues, numberProblem, STORED_JSON_BOUNDS } from '../../../lambdas/core/json-bounds';

/** `levels` nested objects: `{ "a": { "a": ... { "a": 1 } } }`. */
const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = { a: value };
  return value;
};

const fields = (value: unknown) => jsonBoundsIssues(value, 'payload').map((issue) => issue.field);

describe('depth', () => {
  test('a value nested exactly 16 levels is storable', () => {
    expect(STORED_JSON_BOUNDS.maxDepth).toBe(16);
    expect(jsonBoundsIssues(nested(16), 'payload')).toEqual([]);
  });

  test('17 levels is refused, naming where the limit was passed', () => {
    const issues = jsonBoundsIssues(nested(17), 'metadata');
    expect(issues).toEqual([{ field: `metadata${'.a'.repeat(16)}`, message: 'nests deeper than 16 levels' }]);
  });

  test('arrays count as levels like objects', () => {
    let value: unknown = [];
    for (let level = 1; level < 16; level += 1) value = [value];
    expect(jsonBoundsIssues(value, 'payload')).toEqual([]);
    expect(jsonBoundsIssues([value], 'payload')).toHaveLength(1);
  });

  test('20,000 levels (what JSON.parse accepts) is refused without overflowing the stack', () => {
    const text = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const issues = jsonBoundsIssues(JSON.parse(text), 'payload');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toBe('nests deeper than 16 levels');
  });

  test('scalars are level 0: a bare number or string is storable', () => {
    expect(jsonBoundsIssues('text', 'payload')).toEqual([]);
    expect(jsonBoundsIssues(null, 'payload')).toEqual([]);
  });
});

describe('numbers', () => {
  test.each([
    ['Infinity (JSON.parse of 1e400)', JSON.parse('1e400')],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['NaN', Number.NaN],
    ['1e200, past DynamoDB’s range', 1e200],
    ['9007199254740993, which JSON.parse rounds', JSON.parse('9007199254740993')],
    ['2^53, the first integer that may have been rounded', 2 ** 53],
    ['-2^53', -(2 ** 53)],
    ['1e-200, below DynamoDB’s smallest magnitude', 1e-200],
  ])('%s is refused', (_name, value) => {
    expect(numberProblem(value)).toEqual(expect.any(String));
    expect(fields({ deep: [{ n: value }] })).toEqual(['payload.deep.0.n']);
  });

  test.each([0, -0, 1, -1, 0.1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e-130, 123.456])(
    '%p is storable exactly',
    (value) => {
      expect(numberProblem(value)).toBeUndefined();
    },
  );
});

describe('keys', () => {
  test('an empty key is refused (DynamoDB refuses empty map keys)', () => {
    expect(fields({ '': 1 })).toEqual(['payload.""']);
  });

  test('a key over 256 characters is refused; 256 is fine', () => {
    expect(fields({ ['k'.repeat(256)]: 1 })).toEqual([]);
    expect(fields({ ['k'.repeat(257)]: 1 })).toHaveLength(1);
  });

  test('more than 1,000 keys in one object is refused', () => {
    const wide = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));
    expect(fields(wide(1000))).toEqual([]);
    expect(fields(wide(1001))).toEqual(['payload']);
  });

  test('a "__proto__" key parsed from JSON is an ordinary key', () => {
    expect(fields(JSON.parse('{"__proto__": {"n": 1e400}}'))).toEqual(['payload.__proto__.n']);
  });
});

test('reporting stops after 10 issues, so the error body stays small', () => {
  const many = Array.from({ length: 500 }, () => Number.POSITIVE_INFINITY);
  expect(jsonBoundsIssues(many, 'payload')).toHaveLength(10);
});
