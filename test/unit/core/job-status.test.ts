import {
  canTransition,
  isTerminal,
  JOB_STATUSES,
  type JobStatus,
  statusesLeadingTo,
} from '../../../lambdas/core/job-status';

/** The contract's list of allowed transitions, written out independently of the code. */
const ALLOWED = new Set([
  'queued→processing',
  'queued→cancelled',
  'delayed→queued',
  'delayed→cancelled',
  'processing→completed',
  'processing→failed',
  'processing→retrying',
  'processing→cancelled',
  'retrying→processing',
  'retrying→cancelled',
  'retrying→failed',
  'failed→queued',
  'cancelled→queued',
]);

const pairs: [JobStatus, JobStatus][] = JOB_STATUSES.flatMap((from) =>
  JOB_STATUSES.map((to): [JobStatus, JobStatus] => [from, to]),
);

describe('job status transitions', () => {
  test('covers all 49 pairs of the seven statuses', () => {
    expect(pairs).toHaveLength(49);
  });

  test.each(pairs)('%s → %s is allowed exactly when the contract lists it', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}→${to}`));
  });

  test('completed is final; failed and cancelled only leave through retry (→ queued)', () => {
    expect(JOB_STATUSES.filter((to) => canTransition('completed', to))).toEqual([]);
    expect(JOB_STATUSES.filter((to) => canTransition('failed', to))).toEqual(['queued']);
    expect(JOB_STATUSES.filter((to) => canTransition('cancelled', to))).toEqual(['queued']);
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });

  test('statusesLeadingTo inverts the table', () => {
    expect(statusesLeadingTo('cancelled')).toEqual(['queued', 'delayed', 'processing', 'retrying']);
    expect(statusesLeadingTo('processing')).toEqual(['queued', 'retrying']);
    expect(statusesLeadingTo('delayed')).toEqual([]);
  });
});
