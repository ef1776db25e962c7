/** The unit project alone, as StrykerJS's jest runner needs it (one project, no global setup). */
const { projects } = require('./jest.config.cjs');

module.exports = { ...projects.find((project) => project.displayName === 'unit'), rootDir: __dirname };
