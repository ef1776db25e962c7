import { synth } from './synth';

const { template } = synth();
const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
  ([, fn]) => typeof fn.Metadata?.['jobqueue:entry'] === 'string',
);

test('every function logs JSON at INFO, and Lambda writes its own lines only for failures', () => {
  expect(functions.length).toBeGreaterThan(5);
  for (const [, fn] of functions) {
    expect(fn.Properties.LoggingConfig).toEqual({
      LogFormat: 'JSON',
      ApplicationLogLevel: 'INFO',
      // START, END and REPORT are INFO: ≈ 390 log bytes an invocation.
      SystemLogLevel: 'WARN',
      LogGroup: { Ref: expect.stringMatching(/Logs/) },
    });
    expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'INFO' });
    // Source maps are not shipped; parsing them at every cold start would cost init time.
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
  }
});

test('only the workers carry the job handlers: JOBQUEUE_RUNS_JOBS is "true" for them alone', () => {
  const runsJobs = functions
    .filter(([, fn]) => fn.Properties.Environment.Variables.JOBQUEUE_RUNS_JOBS === 'true')
    .map(([, fn]) => fn.Metadata['jobqueue:entry']);
  expect(runsJobs).toEqual(Array(4).fill('lambdas/worker/handler.ts'));
  for (const [, fn] of functions) {
    expect(['true', 'false']).toContain(fn.Properties.Environment.Variables.JOBQUEUE_RUNS_JOBS);
  }
});
