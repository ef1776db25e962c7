// @ts-check
import { resolve } from 'node:path';

// The covering-files sequencer (jest.unit.config.cjs) reads this index, written by
// `npm run mutate` before Stryker starts; the test runner processes inherit the variable.
process.env.JOBQUEUE_TEST_INDEX = resolve('reports/mutation/test-index.json');
// The property tests run for every mutant they cover; a few cases each keep that affordable.
process.env.FUZZ_RUNS ??= '10';

/**
 * Mutation testing (`npm run mutate`): do the unit tests notice a changed operator, a
 * dropped condition, a swapped literal in the code that keeps users apart and limits in
 * force? Not part of `npm test`: from scratch it takes about an hour on two cores.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.unit.config.cjs', enableFindRelatedTests: true },
  mutate: ['lambdas/api/**/*.ts', 'lambdas/core/**/*.ts', 'lambdas/socket/**/*.ts'],
  // Only the tests that reach a mutant run against it.
  coverageAnalysis: 'perTest',
  // Mutants in module-level constants would need the whole suite each; they are few here.
  ignoreStatic: true,
  concurrency: 2,
  // Jest run in-process keeps every run's module registry alive (1.5 GB after a few
  // minutes, most of the time then spent collecting garbage): start runners afresh.
  maxTestRunnerReuse: 40,
  // Added to 1.5 × the covering tests' own time: a mutant that loops is cut off quickly.
  timeoutMS: 5_000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 80, low: 70, break: null },
  // The last full run's results are committed: a run re-tests only mutants whose code or
  // covering tests changed since (`npm run mutate -- --force` re-tests all).
  incremental: true,
  incrementalFile: 'mutation/incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
