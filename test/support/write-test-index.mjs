/**
 * Writes the index the covering-files sequencer reads: for each unit test's full name, the
 * files (relative to the repository) that hold it. One plain run of the unit project.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const rawReport = resolve(root, 'reports/mutation/unit-run.json');
const indexFile = resolve(root, 'reports/mutation/test-index.json');
mkdirSync(dirname(rawReport), { recursive: true });

execFileSync(
  'npx',
  ['jest', '-c', 'jest.unit.config.cjs', '--silent', '--json', `--outputFile=${rawReport}`],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);

const report = JSON.parse(readFileSync(rawReport, 'utf8'));
/** @type {Record<string, string[]>} */
const filesByTestName = {};
for (const suite of report.testResults) {
  const file = relative(root, suite.name);
  for (const assertion of suite.assertionResults) {
    const files = filesByTestName[assertion.fullName] ?? [];
    if (!files.includes(file)) files.push(file);
    filesByTestName[assertion.fullName] = files;
  }
}
writeFileSync(indexFile, JSON.stringify(filesByTestName));
console.log(`test index: ${Object.keys(filesByTestName).length} tests → ${indexFile}`);
