import { findJobType, jobTypeNames } from '../../../lambdas/jobs/registry';

// What only the workers' environment has (email.send reads it when its module loads).
process.env.EMAIL_FROM = 'jobs@example.com';

afterEach(() => {
  delete process.env.JOBQUEUE_RUNS_JOBS;
});

test.each(jobTypeNames())('a worker loads the handler of %s on demand', async (name) => {
  process.env.JOBQUEUE_RUNS_JOBS = 'true';
  expect(typeof (await findJobType(name)?.load())).toBe('function');
});

test('a function that does not run jobs (its bundle has no handlers) refuses to load one, as its bundle would', async () => {
  process.env.JOBQUEUE_RUNS_JOBS = 'false';
  await expect(findJobType('system.simulate')?.load()).rejects.toThrow(
    'This function does not run jobs: its bundle has no job handlers.',
  );
});
