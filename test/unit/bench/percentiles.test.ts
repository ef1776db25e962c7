import { latencyClass, percentile } from '../../../bench/percentiles';

describe('percentiles', () => {
  it('takes the nearest rank, whatever the input order, and 0 of nothing', () => {
    const values = [50, 10, 40, 20, 30, 60, 70, 80, 90, 100];
    expect(percentile(values, 50)).toBe(60);
    expect(percentile(values, 95)).toBe(100);
    expect(percentile(values, 0)).toBe(10);
    expect(percentile([], 50)).toBe(0);
    expect(values[0]).toBe(50);
  });

  it('rounds a latency class to whole milliseconds and keeps the count', () => {
    expect(latencyClass([1.4, 2.6, 3.5])).toEqual({ p50: 3, p95: 4, p99: 4, count: 3 });
  });
});
