import type { LatencyClass } from './report';

/** The nearest-rank `p`th percentile of `values` (0 when there are none). */
export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** p50, p95 and p99 in whole milliseconds, with the count they come from. */
export const latencyClass = (values: readonly number[]): LatencyClass => ({
  p50: Math.round(percentile(values, 50)),
  p95: Math.round(percentile(values, 95)),
  p99: Math.round(percentile(values, 99)),
  count: values.length,
});
