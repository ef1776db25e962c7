import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './project-root';

/** Where the dashboard's sources live and `npm start` keeps its build. */
export const dashboardPaths = (root: string = projectRoot()) => ({
  source: path.join(root, 'dashboard'),
  dist: path.join(root, 'dashboard', 'dist'),
  config: path.join(root, 'dashboard', 'vite.config.ts'),
  vite: path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
});

const newestChange = (entry: string): number => {
  if (!existsSync(entry)) return 0;
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return (
    readdirSync(entry)
      .filter((name) => name !== 'dist' && name !== 'node_modules')
      // Files only: the folder's own time moves when the build is swapped in next to the sources.
      .reduce((newest, name) => Math.max(newest, newestChange(path.join(entry, name))), 0)
  );
};

/** True when `dashboard/dist` is missing or older than a source it is built from. */
export const dashboardBuildIsStale = (root: string = projectRoot()): boolean => {
  const { source, dist } = dashboardPaths(root);
  const built = path.join(dist, 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(newestChange(source), newestChange(path.join(root, 'client')));
  return sources > statSync(built).mtimeMs;
};

/**
 * Builds the SPA into `outDir` with Vite (a few seconds, no network). Used by `npm start`
 * (into `dashboard/dist`) and by the stack's asset bundling at `cdk deploy`/`cdk synth`.
 */
export const buildDashboard = (outDir: string, root: string = projectRoot()): void => {
  const { config, vite } = dashboardPaths(root);
  if (!existsSync(vite)) throw new Error(`Vite is not installed (${vite}): run npm install first.`);
  execFileSync(process.execPath, [vite, 'build', '--config', config, '--outDir', outDir, '--emptyOutDir'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
};

/**
 * `dashboard/dist`, built when missing or stale. Built next to it and swapped in, so a
 * second local cloud starting at the same time never serves a half-written folder.
 */
export const ensureDashboardBuilt = (root: string = projectRoot()): string => {
  const { dist } = dashboardPaths(root);
  if (!dashboardBuildIsStale(root)) return dist;
  const staging = `${dist}.${process.pid}`;
  try {
    buildDashboard(staging, root);
    rmSync(dist, { recursive: true, force: true });
    renameSync(staging, dist);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dist;
};
