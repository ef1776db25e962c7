import {
  estimateItemBytes,
  estimateValueBytes,
  eventsToDrop,
  MAX_INLINE_EVENTS,
  MAX_INLINE_EVENTS_BYTES,
} from '../../../lambdas/core/item-size';
import type { JobEvent } from '../../../lambdas/core/job';

describe('estimateValueBytes (DynamoDB attribute sizes, an upper bound)', () => {
  test('strings count their UTF-8 bytes, not their characters', () => {
    expect(estimateValueBytes('abc')).toBe(3);
    expect(estimateValueBytes('é€😀')).toBe(2 + 3 + 4);
  });

  test('a list of small numbers is larger in DynamoDB than as JSON, and the estimate says so', () => {
    const numbers = Array.from({ length: 10_000 }, () => 1);
    const json = JSON.stringify(numbers).length;
    // DynamoDB: 3 bytes per list + 1 per element + ~2 per one-digit number.
    expect(estimateValueBytes(numbers)).toBeGreaterThanOrEqual(3 + 10_000 * 3);
    expect(estimateValueBytes(numbers)).toBeGreaterThan(json * 1.4);
  });

  test('maps count each key, each element and their 3-byte overhead', () => {
    expect(estimateValueBytes({})).toBe(3);
    expect(estimateValueBytes({ ab: 'xyz' })).toBe(3 + 1 + 2 + 3);
    expect(estimateValueBytes({ flag: true, none: null })).toBe(3 + (1 + 4 + 1) + (1 + 4 + 1));
  });

  test('numbers take a byte per two digits plus overhead, at most 22 bytes', () => {
    expect(estimateValueBytes(7)).toBe(3);
    expect(estimateValueBytes(123456)).toBe(5);
    expect(estimateValueBytes(1e200)).toBe(3);
    expect(estimateValueBytes(Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(22);
  });

  test('nesting far deeper than the call stack allows is measured without overflowing it', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 200_000; level += 1) deep = [deep];
    expect(estimateValueBytes(deep)).toBe(200_000 * 4 + 4);
  });

  test('an item counts attribute names and values; undefined attributes are not stored', () => {
    expect(estimateItemBytes({ name: 'abc', gone: undefined })).toBe(4 + 3);
  });
});

describe('eventsToDrop (the bounded transition log)', () => {
  const event = (attempt: number, message?: string): JobEvent => ({
    at: '2026-11-29T10:00:00.000Z',
    from: 'processing',
    to: 'retrying',
    attempt,
    ...(message ? { error: { code: 'HANDLER_ERROR', message, retryable: true } } : {}),
  });

  test('a log within bounds keeps everything', () => {
    expect(eventsToDrop(Array.from({ length: MAX_INLINE_EVENTS }, (_, index) => event(index)))).toBe(0);
  });

  test('past the count bound, the oldest entries after the first go', () => {
    const log = Array.from({ length: MAX_INLINE_EVENTS + 7 }, (_, index) => event(index));
    expect(eventsToDrop(log)).toBe(7);
  });

  test('past the byte bound (long error messages), entries go until the rest fits', () => {
    const log = Array.from({ length: 60 }, (_, index) => event(index, 'x'.repeat(1000)));
    const drop = eventsToDrop(log);
    const kept = [log[0], ...log.slice(1 + drop)];
    expect(drop).toBeGreaterThan(0);
    expect(kept.reduce((sum, entry) => sum + 1 + estimateValueBytes(entry), 0)).toBeLessThanOrEqual(
      MAX_INLINE_EVENTS_BYTES,
    );
    // One more entry would not have fit: no more is dropped than needed.
    const oneMore = [log[0], ...log.slice(drop)];
    expect(oneMore.reduce((sum, entry) => sum + 1 + estimateValueBytes(entry), 0)).toBeGreaterThan(
      MAX_INLINE_EVENTS_BYTES,
    );
  });

  test('the newest entry is never dropped, however large', () => {
    const log = [event(0), event(1, 'y'.repeat(40_000)), event(2, 'z'.repeat(40_000))];
    expect(eventsToDrop(log)).toBe(1);
  });
});

describe('estimateValueBytes: exact sizes per kind', () => {
  test.each([
    ['a one-digit number', 7, 3],
    ['seven digits', 1_234_567, 6],
    ['a negative decimal: only digits count', -12.34, 4],
    ['an exponent does not count', 1.5e-7, 3],
    ['a bigint of 51 digits is capped at 20 digit bytes', 10n ** 50n, 22],
    ['false', false, 1],
    ['null', null, 1],
    ['bytes count their length', new Uint8Array(10), 10],
    ['a set counts like a list', new Set(['ab', 'c']), 3 + 2 + 2 + 1],
    ['an empty list', [], 3],
    ['undefined list elements add only their slot', [undefined, 'a'], 3 + 2 + 1],
    ['a missing value', undefined, 0],
    ['a function is no attribute value', () => 1, 0],
    ['a nested map', { a: { b: 1 } }, 3 + (1 + 1) + 3 + (1 + 1) + 3],
  ])('%s → %i bytes', (_name, value, bytes) => {
    expect(estimateValueBytes(value)).toBe(bytes);
  });

  test('an item sums each attribute name and value', () => {
    expect(estimateItemBytes({ a: 1, bb: [true], ccc: 'é' })).toBe(1 + 3 + (2 + 3 + 1 + 1) + (3 + 2));
    expect(estimateItemBytes({})).toBe(0);
  });
});

describe('eventsToDrop: the byte bound is inclusive', () => {
  const event = (attempt: number, message: string): JobEvent => ({
    at: '2026-11-29T10:00:00.000Z',
    from: 'processing',
    to: 'retrying',
    attempt,
    error: { code: 'HANDLER_ERROR', message, retryable: true },
  });
  const logOf = (middleLength: number) => [event(0, 'a'), event(1, 'x'.repeat(middleLength)), event(2, 'b')];
  const sizeOf = (log: JobEvent[]) => log.reduce((sum, entry) => sum + 1 + estimateValueBytes(entry), 0);
  const fitting = 1 + MAX_INLINE_EVENTS_BYTES - sizeOf(logOf(1));

  test('a log of exactly the byte bound keeps everything; one byte more drops the oldest after the first', () => {
    expect(sizeOf(logOf(fitting))).toBe(MAX_INLINE_EVENTS_BYTES);
    expect(eventsToDrop(logOf(fitting))).toBe(0);
    expect(eventsToDrop(logOf(fitting + 1))).toBe(1);
  });

  test('one entry over the count bound drops exactly one', () => {
    const log = Array.from({ length: MAX_INLINE_EVENTS + 1 }, (_, index) => event(index, 'm'));
    expect(eventsToDrop(log)).toBe(1);
  });

  test('two entries are never trimmed, however large', () => {
    expect(eventsToDrop([event(0, 'y'.repeat(40_000)), event(1, 'z'.repeat(40_000))])).toBe(0);
  });
});
