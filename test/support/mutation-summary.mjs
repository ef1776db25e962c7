/**
 * Prints the mutation score of each mutated folder from the last `npm run mutate` report,
 * as the README's table: detected (killed + timed out) over all mutants that ran or had
 * no covering test. Ignored (module-level) mutants are left out, as Stryker does.
 */
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'reports/mutation/mutation.json', 'utf8'));
const folders = new Map();
const count = (folder, status) => {
  const row = folders.get(folder) ?? {
    detected: 0,
    undetected: 0,
    killed: 0,
    timeout: 0,
    survived: 0,
    noCoverage: 0,
  };
  if (status === 'Killed') row.killed += 1;
  if (status === 'Timeout') row.timeout += 1;
  if (status === 'Survived') row.survived += 1;
  if (status === 'NoCoverage') row.noCoverage += 1;
  if (status === 'Killed' || status === 'Timeout') row.detected += 1;
  if (status === 'Survived' || status === 'NoCoverage') row.undetected += 1;
  folders.set(folder, row);
};
for (const [file, result] of Object.entries(report.files)) {
  const folder = file.split('/').slice(0, 2).join('/');
  for (const mutant of result.mutants) {
    count(folder, mutant.status);
    count('total', mutant.status);
  }
}
const percent = (row) => ((100 * row.detected) / (row.detected + row.undetected)).toFixed(1);
console.log('| scope | mutation score | killed | timed out | survived | no coverage |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [folder, row] of [...folders].sort(([a], [b]) =>
  a === 'total' ? 1 : b === 'total' ? -1 : a.localeCompare(b),
)) {
  console.log(
    `| ${folder === 'total' ? '**total**' : `\`${folder}\``} | ${percent(row)} % | ${row.killed} | ${row.timeout} | ${row.survived} | ${row.noCoverage} |`,
  );
}
