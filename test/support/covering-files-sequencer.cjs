/**
 * A Jest test sequencer for mutation runs: when a run names its tests (`-t`, which is how
 * StrykerJS runs only the tests that cover a mutant), run just the files that hold them.
 *
 * Why: StrykerJS's jest runner passes the covering tests as a name pattern but every related
 * test file is still loaded to find them; loading a file (its AWS SDK and middy imports)
 * costs ≈ 0.2 s, and a mutant in a shared module has ~30 related files. The index of which
 * file holds which test comes from one plain run (`--json`), written by `npm run mutate`.
 * Without an index, or without a name pattern, every test runs as usual.
 */
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const indexFile = process.env.JOBQUEUE_TEST_INDEX;

/** @returns {Map<string, string[]>} test full name → the files holding it, relative to the root. */
function readIndex() {
  if (!indexFile || !fs.existsSync(indexFile)) return new Map();
  return new Map(Object.entries(JSON.parse(fs.readFileSync(indexFile, 'utf8'))));
}

/** Read once per process: a mutation run calls Jest hundreds of times in one worker. */
let index;

class CoveringFilesSequencer extends Sequencer {
  constructor(options) {
    super(options);
    this.namePattern = options.globalConfig.testNamePattern;
  }

  async sort(tests) {
    const sorted = await super.sort(tests);
    if (!this.namePattern) return sorted;
    index ??= readIndex();
    const byName = index;
    if (byName.size === 0) return sorted;
    const pattern = new RegExp(this.namePattern, 'i');
    const wanted = new Set();
    for (const [name, files] of byName) {
      if (pattern.test(name)) for (const file of files) wanted.add(file);
    }
    // A name the index has never seen (a test added since): keep every file, to be safe.
    if (wanted.size === 0) return sorted;
    return sorted.filter((test) => wanted.has(path.relative(test.context.config.rootDir, test.path)));
  }
}

module.exports = CoveringFilesSequencer;
