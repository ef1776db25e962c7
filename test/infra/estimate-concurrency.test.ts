import { WORKER_CONCURRENCY } from '../../lambdas/api/completion-estimate';
import { DEFAULT_CONCURRENCY } from '../../lib/constructs/workers';

test("the submit-time estimate assumes the workers' default concurrency per priority", () => {
  expect(WORKER_CONCURRENCY).toEqual(DEFAULT_CONCURRENCY);
});
