import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CliClient, CliContext } from '../../../cli/context';
import { runCli } from '../../../cli/program';
import type { Connection } from '../../../cli/settings';
import { JobQueueApiError } from '../../../client';

const JOB_ID = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const job = (fields: Record<string, unknown> = {}) => ({
  jobId: JOB_ID,
  type: 'system.simulate',
  status: 'queued',
  priority: 'normal',
  priorityValue: 5,
  payload: {},
  attempts: 0,
  maxAttempts: 3,
  createdAt: '2026-11-30T01:02:03.456Z',
  version: 1,
  ...fields,
});

async function* framesOf(frames: unknown[]) {
  for (const frame of frames) yield frame;
}

/** A CLI run against a fake client, recording what it wrote. */
const setup = (
  client: Partial<Record<keyof CliClient, unknown>> = {},
  options: { tty?: boolean; env?: Record<string, string> } = {},
) => {
  const out: string[] = [];
  const err: string[] = [];
  const connections: Connection[] = [];
  const confirm = jest.fn(async () => false);
  const cwd = mkdtempSync(path.join(tmpdir(), 'jobqueue-cli-'));
  const ctx: CliContext = {
    stdout: { write: (text) => void out.push(text), isTTY: options.tty ?? false, colors: false },
    stdoutStream: process.stdout,
    stderr: { write: (text) => void err.push(text), colors: false },
    env: options.env ?? {
      JOBQUEUE_URL: 'http://api.test',
      JOBQUEUE_WS_URL: 'ws://ws.test',
      JOBQUEUE_TOKEN: 'tok',
    },
    cwd,
    home: cwd,
    createClient: (connection) => {
      connections.push(connection);
      return client as unknown as CliClient;
    },
    confirm,
    readFile: async (file) => new TextEncoder().encode(readFileSync(file, 'utf8')),
    interrupt: new AbortController().signal,
    version: '9.9.9',
  };
  const run = (...argv: string[]) => runCli(argv, ctx);
  return { run, out: () => out.join(''), err: () => err.join(''), connections, confirm, cwd };
};

describe('jobqueue submit', () => {
  test('sends the type, the JSON payload and each option as the contract names it', async () => {
    const submit = jest.fn(async () => job());
    const cli = setup({ submit });
    const code = await cli.run(
      'submit',
      'system.simulate',
      '--payload',
      '{"durationMs":5}',
      '--priority',
      '15',
      '--delay',
      '5m',
      '--idempotency-key',
      'k-1',
      '--max-attempts',
      '2',
    );
    expect(code).toBe(0);
    expect(submit).toHaveBeenCalledWith(
      'system.simulate',
      { durationMs: 5 },
      { priority: 15, delaySeconds: 300, idempotencyKey: 'k-1', maxAttempts: 2 },
    );
    expect(cli.out()).toBe(`${JOB_ID} queued\n`);
  });

  test('reads --payload @file relative to the working directory', async () => {
    const submit = jest.fn(async () => job());
    const cli = setup({ submit });
    writeFileSync(path.join(cli.cwd, 'payload.json'), '{"steps":3}');
    expect(await cli.run('submit', 'system.simulate', '-p', '@payload.json', '--priority', 'high')).toBe(0);
    expect(submit).toHaveBeenCalledWith('system.simulate', { steps: 3 }, { priority: 'high' });
  });

  test.each([
    [['--payload', '{nope'], /--payload is not valid JSON/],
    [['--payload', '[1]'], /--payload must be a JSON object/],
    [['--priority', 'urgent'], /--priority must be/],
    [['--delay', 'soon'], /--delay must be/],
  ])('refuses %j before calling the API: exit 2', async (args, message) => {
    const submit = jest.fn();
    const cli = setup({ submit });
    expect(await cli.run('submit', 'system.simulate', ...args)).toBe(2);
    expect(cli.err()).toMatch(message);
    expect(submit).not.toHaveBeenCalled();
  });

  test('--watch --json prints only the final job as one JSON document and exits 3 when it failed', async () => {
    const failed = job({ status: 'failed', error: { code: 'TIMEOUT', message: 'slow', retryable: true } });
    const cli = setup({
      submit: async () => job(),
      watch: () =>
        framesOf([
          { type: 'job.snapshot', job: job() },
          { type: 'job.status', jobId: JOB_ID, status: 'processing', at: 'x', version: 2, attempt: 1 },
          { type: 'job.failed', jobId: JOB_ID, status: 'failed', at: 'y', version: 3 },
        ]),
      get: async () => failed,
    });
    expect(await cli.run('--json', 'submit', 'system.simulate', '--watch')).toBe(3);
    expect(JSON.parse(cli.out())).toEqual(failed);
  });
});

describe('jobqueue watch', () => {
  const progressFrames = (end: 'job.completed' | 'job.cancelled') => [
    { type: 'job.snapshot', job: job({ status: 'processing', attempts: 1, version: 2 }) },
    {
      type: 'job.progress',
      jobId: JOB_ID,
      status: 'processing',
      at: 'x',
      version: 3,
      progress: { percent: 40, stage: 'scoring', message: 'resume 2 of 5' },
      items: { total: 5, processed: 2, failed: 0 },
    },
    { type: end, jobId: JOB_ID, status: end.slice(4), at: 'y', version: 4 },
  ];

  test('in a pipe: a line per change with stage and item counts, then the outcome; exit 0 on completed', async () => {
    const cli = setup({
      watch: () => framesOf(progressFrames('job.completed')),
      get: async () => job({ status: 'completed', durationMs: 2500 }),
    });
    expect(await cli.run('watch', JOB_ID)).toBe(0);
    expect(cli.out()).toBe(
      [
        'processing',
        'processing · 40% scoring: resume 2 of 5 · items 2/5',
        'completed · 40% scoring: resume 2 of 5 · items 2/5',
        `✔ ${JOB_ID} completed in 2.5 s`,
        '',
      ].join('\n'),
    );
    expect(cli.out()).not.toContain('\u001b[');
  });

  test('a cancelled job exits 4', async () => {
    const cli = setup({
      watch: () => framesOf(progressFrames('job.cancelled')),
      get: async () => job({ status: 'cancelled' }),
    });
    expect(await cli.run('watch', JOB_ID)).toBe(4);
  });

  test('without a WebSocket URL it follows the job by reading it', async () => {
    const get = jest.fn(async () => job({ status: 'completed' }));
    const watch = jest.fn();
    const cli = setup({ get, watch }, { env: { JOBQUEUE_TOKEN: 'tok' } });
    expect(await cli.run('--url', 'http://elsewhere.test', 'watch', JOB_ID)).toBe(0);
    expect(cli.connections).toEqual([{ url: 'http://elsewhere.test', token: 'tok' }]);
    expect(watch).not.toHaveBeenCalled();
    expect(get).toHaveBeenCalledWith(JOB_ID, expect.anything());
  });
});

describe('jobqueue ls', () => {
  test('prints a table of jobs, newest first as the API gives them', async () => {
    const cli = setup({
      listPage: async () => ({
        jobs: [
          job({ status: 'processing', progress: { percent: 50, stage: 'render' } }),
          job({ jobId: '01JBBBBBBBBBBBBBBBBBBBBBBB', type: 'pdf.render', status: 'completed' }),
        ],
        nextCursor: null,
      }),
    });
    expect(await cli.run('ls')).toBe(0);
    expect(cli.out().split('\n')).toEqual([
      'JOB                         TYPE             STATUS      PRIORITY  PROGRESS    CREATED (UTC)',
      `${JOB_ID}  system.simulate  processing  normal    50% render  2026-11-30 01:02:03`,
      '01JBBBBBBBBBBBBBBBBBBBBBBB  pdf.render       completed   normal                2026-11-30 01:02:03',
      '',
    ]);
  });

  test('--limit beyond one page reads pages of at most 100 until it has enough; --all-users asks the admin route', async () => {
    const page = (count: number, nextCursor: string | null) => ({
      jobs: Array.from({ length: count }, () => job()),
      nextCursor,
    });
    const adminJobsPage = jest.fn(async (_filters: unknown, cursor?: string) =>
      cursor ? page(50, 'more') : page(100, 'c1'),
    );
    const cli = setup({ adminJobsPage });
    expect(await cli.run('--json', 'ls', '--all-users', '--status', 'failed', '--limit', '150')).toBe(0);
    expect(adminJobsPage.mock.calls).toEqual([
      [{ status: 'failed', limit: 100 }, undefined],
      [{ status: 'failed', limit: 50 }, 'c1'],
    ]);
    expect(JSON.parse(cli.out())).toHaveLength(150);
  });
});

describe('jobqueue alarms', () => {
  const alarms = [
    {
      name: 'JobQueue-MonitoringNormalDeadLetters-X',
      description: 'Messages in the normal DLQ',
      state: 'ALARM',
      reason: 'Threshold crossed: 1 > 0',
      since: '2026-11-30T05:00:00.000Z',
      threshold: 0,
      comparison: 'GreaterThanThreshold',
    },
    {
      name: 'JobQueue-MonitoringDispatchIteratorAge-Y',
      description: '',
      state: 'INSUFFICIENT_DATA',
      reason: 'not measured',
      since: '2026-11-30T04:00:00.000Z',
      threshold: 300000,
      comparison: 'GreaterThanThreshold',
    },
  ];

  test('prints a table: state, the description (else the name), since, reason, in the API’s order', async () => {
    const cli = setup({ alarms: async () => alarms });
    expect(await cli.run('alarms')).toBe(0);
    expect(cli.out().split('\n')).toEqual([
      'STATE              ALARM                                     SINCE                     REASON',
      'ALARM              Messages in the normal DLQ                2026-11-30T05:00:00.000Z  Threshold crossed: 1 > 0',
      'INSUFFICIENT_DATA  JobQueue-MonitoringDispatchIteratorAge-Y  2026-11-30T04:00:00.000Z  not measured',
      '',
    ]);
  });

  test('--json prints the list as the API gave it; no alarms is said in words', async () => {
    const json = setup({ alarms: async () => alarms });
    expect(await json.run('--json', 'alarms')).toBe(0);
    expect(JSON.parse(json.out())).toEqual(alarms);
    const none = setup({ alarms: async () => [] });
    expect(await none.run('alarms')).toBe(0);
    expect(none.out()).toBe('The stack has no alarms.\n');
  });

  test('a user is told the API’s 403 on stderr, exit 1', async () => {
    const cli = setup({
      alarms: async () => {
        throw new JobQueueApiError(403, { code: 'FORBIDDEN', message: 'Administrators only.' });
      },
    });
    expect(await cli.run('alarms')).toBe(1);
    expect(cli.err()).toBe('error: Administrators only. (FORBIDDEN, HTTP 403)\n');
  });
});

describe('errors and confirmations', () => {
  test("an API error shows the contract's message and code on stderr, no stack, exit 1", async () => {
    const cli = setup({
      get: async () => {
        throw new JobQueueApiError(404, { code: 'NOT_FOUND', message: 'No such job.' });
      },
    });
    expect(await cli.run('show', JOB_ID)).toBe(1);
    expect(cli.err()).toBe('error: No such job. (NOT_FOUND, HTTP 404)\n');
    expect(cli.out()).toBe('');
  });

  test('a rate limit says when to come back', async () => {
    const cli = setup({
      retry: async () => {
        throw new JobQueueApiError(429, { code: 'RATE_LIMITED', message: 'Too many jobs submitted.' }, 12);
      },
    });
    expect(await cli.run('retry', JOB_ID)).toBe(1);
    expect(cli.err()).toContain('retry after 12 s');
  });

  test('dlq purge asks first and purges nothing on no; --yes skips the question', async () => {
    const purge = jest.fn(async () => ({ purged: 3 }));
    const cli = setup({ dlq: { purge } });
    expect(await cli.run('dlq', 'purge', 'low')).toBe(2);
    expect(cli.confirm).toHaveBeenCalled();
    expect(purge).not.toHaveBeenCalled();
    expect(await cli.run('dlq', 'purge', 'low', '--yes')).toBe(0);
    expect(purge).toHaveBeenCalledWith('low');
    expect(cli.out()).toBe('Purged 3 from the low dead-letter queue.\n');
  });

  test('--version prints the version and exits 0', async () => {
    const cli = setup({});
    expect(await cli.run('--version')).toBe(0);
    expect(cli.out()).toBe('9.9.9\n');
  });

  test('unknown commands and priorities are usage errors (exit 2)', async () => {
    const cli = setup({});
    expect(await cli.run('frobnicate')).toBe(2);
    expect(await cli.run('pause', 'urgent')).toBe(2);
    expect(cli.err()).toContain('<priority> must be one of critical, high, normal, low');
  });

  test('without a token it says how to get one (exit 2), and reads the URL from a running local cloud', async () => {
    const cli = setup({}, { env: {} });
    const local = path.join(cli.cwd, '.local');
    mkdirSync(local);
    writeFileSync(
      path.join(local, 'stack.json'),
      JSON.stringify({ httpUrl: 'http://127.0.0.1:4600', wsUrl: 'ws://x' }),
    );
    expect(await cli.run('ls')).toBe(2);
    expect(cli.err()).toContain('No token: pass --token or set JOBQUEUE_TOKEN');
    const listPage = jest.fn(async () => ({ jobs: [], nextCursor: null }));
    const withToken = setup({ listPage }, { env: { JOBQUEUE_TOKEN: 't' } });
    cpSync(local, path.join(withToken.cwd, '.local'), { recursive: true });
    expect(await withToken.run('ls')).toBe(0);
    expect(withToken.connections).toEqual([
      { url: 'http://127.0.0.1:4600', webSocketUrl: 'ws://x', token: 't' },
    ]);
    expect(withToken.out()).toBe('No jobs.\n');
  });
});
