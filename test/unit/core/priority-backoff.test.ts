import { backoffSeconds } from '../../../lambdas/core/backoff';
import { PRIORITY_VALUES, priorityBand } from '../../../lambdas/core/priority';

describe('priority bands', () => {
  test.each([
    [20, 'critical'],
    [19, 'high'],
    [10, 'high'],
    [9, 'normal'],
    [5, 'normal'],
    [4, 'low'],
    [1, 'low'],
  ])('%i → %s', (value, band) => {
    expect(priorityBand(value)).toBe(band);
  });

  test('each named priority maps back to its own band', () => {
    for (const [name, value] of Object.entries(PRIORITY_VALUES)) expect(priorityBand(value)).toBe(name);
  });
});

describe('backoff', () => {
  const policy = { baseSeconds: 2, maxSeconds: 30 };

  test('doubles from the base without jitter: 2, 4, 8, 16, then capped at 30', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffSeconds(policy, attempt, () => 0))).toEqual([
      2, 4, 8, 16, 30, 30,
    ]);
  });

  test('jitter adds at most a quarter and never shortens the wait', () => {
    expect(backoffSeconds(policy, 2, () => 0.999_999)).toBeCloseTo(5, 3);
    expect(backoffSeconds(policy, 2, () => 0.5)).toBe(4.5);
  });
});
