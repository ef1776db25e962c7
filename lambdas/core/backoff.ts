import type { BackoffPolicy } from '../jobs/job-type';

/** Up to this fraction is added on top of the nominal delay, so retries of many jobs spread out. */
const JITTER_FRACTION = 0.25;

/**
 * Seconds to wait before attempt `failedAttempt + 1`: base × 2^(failedAttempt − 1), capped,
 * plus up to +25 % jitter — never less than the nominal value, so users see ≈ 2 s, 4 s, 8 s.
 */
export const backoffSeconds = (
  policy: BackoffPolicy,
  failedAttempt: number,
  random: () => number = Math.random,
): number => {
  const exponent = Math.max(failedAttempt - 1, 0);
  const nominal = Math.min(policy.baseSeconds * 2 ** exponent, policy.maxSeconds);
  return nominal + nominal * JITTER_FRACTION * random();
};
