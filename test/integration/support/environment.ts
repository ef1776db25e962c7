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
/** The sweep runs every minute in AWS; the tests run it every 2 s to observe a stall sooner. */
export const TEST_SWEEP_INTERVAL_MS = 2000;
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
] as const;
export type TestUser = (typeof TEST_USERS)[number] | 'admin';
