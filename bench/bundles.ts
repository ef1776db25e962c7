import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readTemplate, resourcesOfType } from '../local/template';
import { displayName } from './cost';

export interface BundleFigures {
  /** Bytes of the function's code (its asset without source maps). */
  readonly bytes: number;
  /** Bytes of the source maps deployed beside it. */
  readonly sourceMapBytes: number;
  /** Median time to load the bundle and run its module-level code in a fresh Node process, ms. */
  readonly initMs: number | null;
}

const sizeOf = (directory: string, counts: (name: string) => boolean): number =>
  readdirSync(directory, { withFileTypes: true }).reduce((sum, entry) => {
    const file = path.join(directory, entry.name);
    if (entry.isDirectory()) return sum + sizeOf(file, counts);
    return sum + (counts(entry.name) ? statSync(file).size : 0);
  }, 0);
const isSourceMap = (name: string) => name.endsWith('.map');

/**
 * Loads a bundle as Lambda's Node runtime does (an ES module import) in a fresh process and
 * reports the time its import took, with the environment the local cloud gave the function
 * (so config validation at cold start passes as in AWS). Null when the import fails.
 */
const initTime = (entry: string, environment: Record<string, string>, runs: number): number | null => {
  const times: number[] = [];
  const script = `const t = performance.now(); await import(${JSON.stringify(entry)}); process.stdout.write(String(performance.now() - t));`;
  for (let run = 0; run < runs; run += 1) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...environment },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const ms = Number(child.stdout);
    if (child.status !== 0 || !Number.isFinite(ms)) return null;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] ?? 0);
};

/** Synthesizes with bundling (esbuild) into a scratch folder and measures every function's bundle. */
export const measureBundles = (
  environments: ReadonlyMap<string, Readonly<Record<string, string>>>,
  runs = 5,
): Record<string, BundleFigures> => {
  const outdir = path.join('.local', 'bench', 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const template = readTemplate(path.join(outdir, 'JobQueue.template.json'));
  const figures: Record<string, BundleFigures> = {};
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const assetPath = fn.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string' || typeof fn.Metadata?.['jobqueue:entry'] !== 'string') continue;
    const directory = path.join(outdir, assetPath);
    const entry = ['index.mjs', 'index.js'].map((name) => path.join(directory, name)).find(existsSync);
    figures[displayName(id)] = {
      bytes: sizeOf(directory, (name) => !isSourceMap(name)),
      sourceMapBytes: sizeOf(directory, isSourceMap),
      initMs: entry ? initTime(path.resolve(entry), { ...environments.get(id) }, runs) : null,
    };
  }
  return figures;
};
