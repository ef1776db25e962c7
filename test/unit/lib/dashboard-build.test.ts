import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dashboardBuildIsStale } from '../../../lib/dashboard-build';

/** `npm start` rebuilds the SPA exactly when its build is missing or older than a source. */
describe('dashboardBuildIsStale', () => {
  let root: string;
  const at = (file: string, secondsAgo: number) => {
    const time = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(path.join(root, file), time, time);
  };
  const write = (file: string, secondsAgo: number) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), 'x');
    at(file, secondsAgo);
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'dashboard-build-'));
    write('dashboard/src/main.tsx', 100);
    write('client/index.ts', 100);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('a missing build is stale', () => {
    expect(dashboardBuildIsStale(root)).toBe(true);
  });

  test('a build newer than every source is fresh, even when the dashboard folder itself changed later', () => {
    write('dashboard/dist/index.html', 50);
    // Swapping the build in touches the dashboard folder after index.html was written.
    at('dashboard', 0);
    expect(dashboardBuildIsStale(root)).toBe(false);
  });

  test('a dashboard source edited after the build makes it stale', () => {
    write('dashboard/dist/index.html', 50);
    at('dashboard/src/main.tsx', 10);
    expect(dashboardBuildIsStale(root)).toBe(true);
  });

  test('a client source edited after the build makes it stale (the SPA bundles the client)', () => {
    write('dashboard/dist/index.html', 50);
    at('client/index.ts', 10);
    expect(dashboardBuildIsStale(root)).toBe(true);
  });
});
