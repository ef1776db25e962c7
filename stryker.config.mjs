// @ts-check
/**
 * Mutation testing (`npm run mutate`): do the unit tests notice a changed operator, a
 * dropped condition, a swapped literal in the code that keeps users apart and limits in
 * force? Not part of `npm test` (it takes tens of minutes on two cores).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.unit.config.cjs', enableFindRelatedTests: false },
  mutate: ['lambdas/api/**/*.ts', 'lambdas/core/**/*.ts', 'lambdas/socket/**/*.ts'],
  // Only the tests that reach a mutant run against it.
  coverageAnalysis: 'perTest',
  // Mutants in module-level constants would need the whole suite each; they are few here.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 15_000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 80, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
