import * as path from 'node:path';

/**
 * Ports of the test instance: next to the defaults, so a running `npm start` is left alone.
 * `JOBQUEUE_TEST_PORT_BASE` moves all five, so two checkouts can run their suites side by side.
 */
const base = Number(process.env.JOBQUEUE_TEST_PORT_BASE ?? 4610);
export const TEST_PORTS = {
  http: base,
  webSocket: base + 1,
  dynamodb: base + 2,
  queues: base + 3,
  dashboard: base + 4,
};
export const TEST_LOCAL_DIR = path.join('.local', 'test');
/** The stranded-job sweep runs every minute in AWS; the tests run it every 2 s. */
export const TEST_SWEEP_INTERVAL_MS = 2000;
/**
 * A worker's lease in AWS is 30 s (a crash is recovered in about a minute); the tests use
 * 10 s, so a crashed worker's message resurfaces after 20 s and a cancel is seen in ≤ 3.4 s.
 */
export const TEST_WORKER_LEASE_SECONDS = 10;
/** Users the global setup issues tokens for. */
// Each test file has users of its own (besides read-only checks), so files running in
// parallel never see each other's jobs, counters or rate windows.
export const TEST_USERS = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'xena',
  'yolanda',
  'zoe',
  'quentin',
  'ursula',
  'wendy',
  // ai.test.ts
  'aiko',
  'bruno',
  'chidi',
] as const;
export type TestUser = (typeof TEST_USERS)[number] | 'admin';

/**
 * Context of the test stack beyond the local cloud's: ai.complete starts at most 5 a second
 * (so the rate test needs few jobs), and a user may spend 20 000 AI tokens a day (so the
 * budget test runs out with two jobs).
 */
export const TEST_AI_RATE_PER_SECOND = 5;
export const TEST_AI_DAILY_TOKENS = 20_000;
export const TEST_CONTEXT = {
  'jobqueue:jobRateLimits': { 'ai.complete': TEST_AI_RATE_PER_SECOND },
  'jobqueue:aiDailyTokens': TEST_AI_DAILY_TOKENS,
};
