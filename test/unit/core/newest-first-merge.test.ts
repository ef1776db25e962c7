import { type MergeSource, NewestFirstMerge } from '../../../lambdas/core/newest-first-merge';

/** A source serving `values` (already newest first) in pages of `pageSize`, counting its reads. */
const source = (values: number[], pageSize = 2, exhausted = false) => {
  let offset = 0;
  const reads = { count: 0 };
  const merged: MergeSource<number> = {
    exhausted,
    readPage: async () => {
      reads.count += 1;
      const entries = values.slice(offset, offset + pageSize);
      offset += pageSize;
      return { entries, more: offset < values.length };
    },
  };
  return { merged, reads };
};

const descending = (a: number, b: number) => b - a;

test('entries of every source come out newest first, each tagged with its source', async () => {
  const sources = [source([9, 4, 1]), source([8, 7, 2]), source([6, 5, 3])];
  const merge = new NewestFirstMerge(
    sources.map((s) => s.merged),
    descending,
  );
  const taken = await merge.take(100);
  expect(taken.map(({ entry }) => entry)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
  expect(taken.map(({ source: index }) => index)).toEqual([0, 1, 1, 2, 2, 0, 2, 1, 0]);
  expect(merge.drained).toBe(true);
});

test('a source is read again only when its buffer is empty and its next entry is needed', async () => {
  const newest = source([10, 9, 8, 7, 6, 5], 2);
  const oldest = source([1], 2);
  const merge = new NewestFirstMerge([newest.merged, oldest.merged], descending);
  expect((await merge.take(3)).map(({ entry }) => entry)).toEqual([10, 9, 8]);
  expect(newest.reads.count).toBe(2);
  expect(oldest.reads.count).toBe(1);
  expect(merge.isDrained(1)).toBe(false);
});

test('a source known to be exhausted is never read; a source read to its end and taken is drained', async () => {
  const done = source([100], 2, true);
  const live = source([3, 2], 5);
  const merge = new NewestFirstMerge([done.merged, live.merged], descending);
  expect((await merge.take(5)).map(({ entry }) => entry)).toEqual([3, 2]);
  expect(done.reads.count).toBe(0);
  expect(merge.isDrained(0)).toBe(true);
  expect(merge.isDrained(1)).toBe(true);
  expect(await merge.take(5)).toEqual([]);
});

test('an empty page that says more follows is read past', async () => {
  let reads = 0;
  const gappy: MergeSource<number> = {
    readPage: async () => {
      reads += 1;
      return reads === 1 ? { entries: [], more: true } : { entries: [4], more: false };
    },
  };
  const merge = new NewestFirstMerge([gappy, source([5, 3]).merged], descending);
  expect((await merge.take(3)).map(({ entry }) => entry)).toEqual([5, 4, 3]);
});
