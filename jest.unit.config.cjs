/**
 * The unit project alone, as StrykerJS's jest runner needs it (one project, no global setup).
 * Its sequencer runs only the files that hold a run's named tests (see the sequencer).
 */
const { projects } = require('./jest.config.cjs');

module.exports = {
  ...projects.find((project) => project.displayName === 'unit'),
  rootDir: __dirname,
  testSequencer: '<rootDir>/test/support/covering-files-sequencer.cjs',
};
