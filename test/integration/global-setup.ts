import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  TEST_CONTEXT,
  TEST_LOCAL_DIR,
  TEST_PORTS,
  TEST_SWEEP_INTERVAL_MS,
  TEST_USERS,
  TEST_WORKER_LEASE_SECONDS,
} from './support/environment';

declare global {
  // eslint-disable-next-line no-var
  var __LOCAL_CLOUD__: ChildProcess | undefined;
}

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

/** Starts one local cloud for the whole run (as `npm start` does) and issues test tokens. */
export default async function globalSetup(): Promise<void> {
  const localDirectory = path.join(root, TEST_LOCAL_DIR);
  rmSync(localDirectory, { recursive: true, force: true });
  mkdirSync(localDirectory, { recursive: true });
  const env = { ...process.env, JOBQUEUE_LOCAL_DIR: TEST_LOCAL_DIR };
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/start.ts',
      `--http-port=${TEST_PORTS.http}`,
      `--ws-port=${TEST_PORTS.webSocket}`,
      `--dynamodb-port=${TEST_PORTS.dynamodb}`,
      `--queues-port=${TEST_PORTS.queues}`,
      `--dashboard-port=${TEST_PORTS.dashboard}`,
      `--sweep-interval-ms=${TEST_SWEEP_INTERVAL_MS}`,
      `--worker-lease-seconds=${TEST_WORKER_LEASE_SECONDS}`,
      `--context=${JSON.stringify(TEST_CONTEXT)}`,
    ],
    // Its own process group, so the teardown can end the whole tree (tsx, node, Java).
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  globalThis.__LOCAL_CLOUD__ = child;
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The local cloud did not start in 60 s:\n${output}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('local cloud ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The local cloud exited with ${code}:\n${output}`));
    });
  });
  await ready;
  // Keep the transition log for debugging a failed run.
  const logFile = path.join(localDirectory, 'cloud.log');
  child.stdout?.on('data', (chunk: Buffer) => writeFileSync(logFile, chunk, { flag: 'a' }));
  child.stderr?.on('data', (chunk: Buffer) => writeFileSync(logFile, chunk, { flag: 'a' }));

  const tokens: Record<string, string> = {};
  for (const user of TEST_USERS) {
    tokens[user] = execFileSync(tsx, ['local/token.ts', user], { cwd: root, env }).toString().trim();
  }
  tokens.admin = execFileSync(tsx, ['local/token.ts', 'admin-user', '--admin'], { cwd: root, env })
    .toString()
    .trim();
  writeFileSync(path.join(localDirectory, 'tokens.json'), JSON.stringify(tokens));
}
