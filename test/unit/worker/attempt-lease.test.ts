import type { JobStore } from '../../../lambdas/core/job-store';
import { AttemptLease, attemptTiming, DEFAULT_LEASE_TIMING } from '../../../lambdas/worker/attempt-lease';

const CLAIMED_AT = new Date('2026-11-23T10:00:00.000Z');
const at = (ms: number) => new Date(CLAIMED_AT.getTime() + ms).toISOString();

let renewLease: jest.Mock;
let losses: string[];
let lease: AttemptLease;

beforeEach(() => {
  jest.useFakeTimers({ now: CLAIMED_AT });
  renewLease = jest.fn(async () => ({ cancelRequested: false }));
  losses = [];
  lease = new AttemptLease(
    { renewLease } as unknown as JobStore,
    'job-1',
    2,
    (reason) => losses.push(reason),
    () => new Date(),
    DEFAULT_LEASE_TIMING,
    CLAIMED_AT,
  );
  lease.start();
});

afterEach(async () => {
  await lease.stop();
  jest.useRealTimers();
});

test('the default timing: a 30 s lease renewed after 10 s of silence, ≤ 2 progress writes a second, messages kept 60 s', () => {
  expect(attemptTiming()).toEqual({
    lease: { leaseMs: 30_000, renewEveryMs: 10_000, minProgressIntervalMs: 500 },
    visibilitySeconds: 60,
  });
  expect(attemptTiming(10)).toEqual({
    lease: { leaseMs: 10_000, renewEveryMs: 3333, minProgressIntervalMs: 500 },
    visibilitySeconds: 20,
  });
});

test('the claim counts as the first write: progress within 500 ms of it is not written, stop hands it over', async () => {
  await jest.advanceTimersByTimeAsync(10);
  await lease.progress({ percent: 50, stage: 'one' });
  await jest.advanceTimersByTimeAsync(100);
  expect(await lease.stop()).toEqual({ percent: 50, stage: 'one' });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(renewLease).not.toHaveBeenCalled();
});

test('progress coalesces to one write per 500 ms, the newest one, and each write renews the lease', async () => {
  await jest.advanceTimersByTimeAsync(100);
  await lease.progress({ percent: 10 });
  await jest.advanceTimersByTimeAsync(100);
  await lease.progress({ percent: 20 });
  await jest.advanceTimersByTimeAsync(300);
  // 500 ms after the claim: the newest progress, with a lease from then on.
  expect(renewLease.mock.calls).toEqual([['job-1', 2, at(30_500), { progress: { percent: 20 }, set: {} }]]);
  await jest.advanceTimersByTimeAsync(600);
  await lease.progress({ percent: 30 });
  expect(renewLease).toHaveBeenCalledTimes(2);
  expect(renewLease.mock.calls[1]).toEqual(['job-1', 2, at(31_100), { progress: { percent: 30 }, set: {} }]);
});

test('finished items of a bulk job are written at once, with the fields that came with them', async () => {
  await jest.advanceTimersByTimeAsync(10);
  const items = { total: 3, processed: 1, failed: 0 };
  await lease.progress({ percent: 33, items, estimatedCompletionAt: at(60_000) });
  expect(renewLease.mock.calls).toEqual([
    [
      'job-1',
      2,
      at(30_010),
      { progress: { percent: 33 }, set: { items, estimatedCompletionAt: at(60_000) } },
    ],
  ]);
});

test('a silent job renews its lease 10 s after its last write; a progress write pushes the renewal back', async () => {
  await jest.advanceTimersByTimeAsync(10_000);
  expect(renewLease.mock.calls).toEqual([['job-1', 2, at(40_000), { set: {} }]]);
  await jest.advanceTimersByTimeAsync(5_000);
  await lease.progress({ percent: 80 });
  await jest.advanceTimersByTimeAsync(9_999);
  expect(renewLease).toHaveBeenCalledTimes(2);
  await jest.advanceTimersByTimeAsync(1);
  expect(renewLease.mock.calls[2]).toEqual(['job-1', 2, at(55_000), { set: {} }]);
});

test('a failed renewal is tried again on the next tick, keeping its progress', async () => {
  renewLease.mockRejectedValueOnce(new Error('throttled'));
  await jest.advanceTimersByTimeAsync(600);
  await lease.progress({ percent: 10 });
  await jest.advanceTimersByTimeAsync(10_000);
  expect(renewLease.mock.calls.map((call) => call[3])).toEqual([
    { progress: { percent: 10 }, set: {} },
    { progress: { percent: 10 }, set: {} },
  ]);
  expect(losses).toEqual([]);
});

test.each([
  ['a requested cancel', { cancelRequested: true }, 'CANCELLED'],
  ['a job no longer this attempt’s', undefined, 'LOST'],
])('%s is reported on the next renewal', async (_case, state, reason) => {
  renewLease.mockResolvedValue(state);
  await jest.advanceTimersByTimeAsync(10_000);
  expect(losses).toEqual([reason]);
});

test('after stop nothing is written, whatever is reported', async () => {
  await lease.stop();
  await lease.progress({ percent: 99, items: { total: 1, processed: 1, failed: 0 } });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(renewLease).not.toHaveBeenCalled();
});
