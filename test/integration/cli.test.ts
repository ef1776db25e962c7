import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { TEST_LOCAL_DIR } from './support/environment';
import { localToken } from './support/tokens';

/**
 * The real `jobqueue` command (bin/jobqueue.mjs) against the test cloud, as a script runs
 * it: stdout a pipe (no TTY: no bars, no colours), the URLs from the cloud's stack.json.
 */
const root = path.resolve(__dirname, '../..');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const jobqueue = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin/jobqueue.mjs'), ...args],
      {
        cwd: root,
        env: { ...process.env, JOBQUEUE_LOCAL_DIR: TEST_LOCAL_DIR, JOBQUEUE_TOKEN: localToken('cli-user') },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('jobqueue CLI end to end', () => {
  test('submit --watch follows a job to completion: a line per change, exit 0', async () => {
    const run = await jobqueue(
      'submit',
      'system.simulate',
      '--payload',
      '{"durationMs":600,"steps":3,"result":{"ok":true}}',
      '--watch',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^[0-9A-Z]{26} system\.simulate submitted \(queued\)$/);
    expect(lines).toContainEqual(expect.stringMatching(/^processing · \d+% simulating: step \d of 3$/));
    expect(lines.at(-1)).toMatch(/^✔ [0-9A-Z]{26} completed in \d+\.\d s$/);
    expect(run.stdout).not.toContain('\u001b[');
  });

  test('a failing job: submit --watch --json prints the failed job as JSON and exits 3', async () => {
    const run = await jobqueue(
      '--json',
      'submit',
      'system.simulate',
      '--payload',
      '{"durationMs":50,"failAttempts":1,"failWith":"fatal"}',
      '--watch',
    );
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'failed', error: { retryable: false } });
  });

  test('ls, show and cancel: a delayed job listed, shown with its events, cancelled once and refused twice', async () => {
    const submitted = await jobqueue('--json', 'submit', 'system.simulate', '--delay', '10m');
    expect(submitted.code).toBe(0);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };

    const listed = await jobqueue('ls', '--status', 'delayed');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^JOB\s+TYPE\s+STATUS\s+PRIORITY\s+PROGRESS\s+CREATED \(UTC\)$/,
    );
    expect(listed.stdout).toMatch(new RegExp(`^${jobId}\\s+system\\.simulate\\s+delayed\\s+normal`, 'm'));

    const cancelled = await jobqueue('cancel', jobId);
    expect([cancelled.code, cancelled.stdout]).toEqual([0, `${jobId} cancelled\n`]);

    const shown = await jobqueue('--json', 'show', jobId, '--events');
    expect(shown.code).toBe(0);
    const { job, events } = JSON.parse(shown.stdout);
    expect(job).toMatchObject({ jobId, status: 'cancelled' });
    expect(events.map((event: { to: string }) => event.to)).toEqual(['delayed', 'cancelled']);

    const again = await jobqueue('cancel', jobId);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'error: A cancelled job cannot be cancelled. (INVALID_STATE, HTTP 409)\n  the job is cancelled\n',
    );
    expect(again.stdout).toBe('');
  });
});
