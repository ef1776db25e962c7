import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { JobQueueClient } from '../../client';
import { api, eventually, stack } from './support/client';

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against
 * the test local cloud: sign-in, live rows, the job detail, cancel, pause/resume, redrive.
 */
const CHROMIUM = process.env.JOBQUEUE_CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium's own outbound calls fail en masse on a closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.resolve(__dirname, '../artifacts');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
// Users of this file only, so no other test's jobs show up in its tables.
const USER = 'dash-user';
const ADMIN = 'dash-admin';
// A queue few other tests use, paused for a second or two at most.
const PRIORITY = 'critical';

const available = existsSync(CHROMIUM);
if (!available) {
  process.stderr.write(
    `Browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set JOBQUEUE_CHROMIUM).\n`,
  );
}
const describeWithBrowser = available ? describe : describe.skip;

/** A token for `userId` from the local issuer, as the dashboard's user picker gets one. */
const localToken = async (userId: string, admin = false): Promise<string> => {
  const response = await fetch(new URL('local/token', stack().dashboardUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, admin }),
  });
  return ((await response.json()) as { token: string }).token;
};

/** Submits through the typed client, as an application would. */
const submitAs = async (
  userId: string,
  type: string,
  payload: Record<string, unknown>,
  delaySeconds?: number,
) =>
  new JobQueueClient({ url: stack().httpUrl, token: await localToken(userId) }).submit(
    type,
    payload,
    delaySeconds ? { delaySeconds } : {},
  );

describeWithBrowser('dashboard in Chromium', () => {
  let browser: BrowserContext;
  let userDataDir: string;
  const pages: Page[] = [];
  const live = new Map<Page, Promise<void>>();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    userDataDir = await mkdtemp(path.join(tmpdir(), 'jobqueue-chromium-'));
    // A fresh profile per run: nothing left over from another run or another checkout.
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
  });

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await rm(userDataDir, { recursive: true, force: true });
  });

  /** A fresh page signed in through the local user picker. */
  const signIn = async (userId: string, admin = false): Promise<Page> => {
    const page = await browser.newPage();
    pages.push(page);
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    // The page is live once its user-wide WebSocket subscription is confirmed.
    live.set(
      page,
      new Promise((resolve) =>
        page.on('websocket', (socket) =>
          socket.on('framereceived', (frame) => {
            if (String(frame.payload).includes('"scope":"user"')) resolve();
          }),
        ),
      ),
    );
    await page.goto(stack().dashboardUrl);
    await page.getByLabel('User id').fill(userId);
    if (admin) await page.getByLabel(/Administrator/).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    expect(failures).toEqual([]);
    return page;
  };

  const statusIn = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"] [data-status]`);

  test('the local user picker signs in, and the page says who is signed in', async () => {
    const page = await signIn(USER);
    await expect(page.getByTestId('user').textContent()).resolves.toBe(USER);
    // Non-admins have no Queues view.
    await expect(page.getByRole('link', { name: 'Queues' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  test('a job submitted through the API shows up and its row turns completed live, then its detail', async () => {
    const page = await signIn(USER);
    const listCalls: string[] = [];
    page.on('request', (request) => {
      if (/\/v1\/jobs\?/.test(request.url())) listCalls.push(request.url());
    });
    // Jobs submitted before the subscription reach the table by its periodic read only.
    await live.get(page);
    const job = await submitAs(USER, 'system.simulate', {
      durationMs: 1500,
      steps: 3,
      result: { answer: 42 },
    });
    const status = statusIn(page, job.jobId);
    await status.waitFor({ timeout: 30_000 });
    const listsWhenShown = listCalls.length;
    await expect(
      eventually(
        () => status.getAttribute('data-status'),
        (value) => value === 'completed',
        30_000,
      ),
    ).resolves.toBe('completed');
    // The row changed in place from WebSocket pushes: the table was not read again.
    expect(listCalls.length).toBe(listsWhenShown);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-jobs.png'), fullPage: true });

    await page.locator(`tr[data-job-id="${job.jobId}"] a`).click();
    await page.getByRole('heading', { name: /^Job / }).waitFor();
    const timeline = page.locator('ol.timeline');
    await eventually(
      () => timeline.textContent(),
      (text) => (text ?? '').includes('processing') && (text ?? '').includes('completed'),
      20_000,
    );
    await expect(page.locator('pre.json').last().textContent()).resolves.toContain('"answer": 42');
    await expect(page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('value')).resolves.toBe(
      '100',
    );
    await expect(page.getByRole('button', { name: 'Cancel job' }).isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-job-detail.png'), fullPage: true });
  });

  test("stats chart the user's throughput and durations per type, with a table of the same", async () => {
    const page = await signIn(USER);
    // Counters are rolled up from the table's stream: give the previous test's job a moment.
    const row = page
      .getByRole('table', { name: 'By type, whole range' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'system.simulate' }) });
    await eventually(
      async () => {
        await page.goto(`${stack().dashboardUrl}#/stats`);
        await page.reload();
        await page.getByRole('heading', { name: 'Stats' }).waitFor();
        await page.waitForTimeout(500);
        return row.count();
      },
      (count) => count === 1,
      30_000,
      1000,
    ).catch(async (error) => {
      await page.screenshot({ path: path.join(ARTIFACTS, 'failed-stats.png'), fullPage: true });
      throw error;
    });
    expect(Number(await row.locator('td').first().textContent())).toBeGreaterThanOrEqual(1);
    await expect(
      page.getByRole('img', { name: 'Jobs completed per day, by type' }).locator('canvas').count(),
    ).resolves.toBe(1);
    await expect(
      page.getByRole('img', { name: 'Average duration per day, by type' }).locator('canvas').count(),
    ).resolves.toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stats.png'), fullPage: true });
  });

  test('a delayed job is cancelled from its detail page', async () => {
    const page = await signIn(USER);
    const job = await submitAs(USER, 'system.simulate', { durationMs: 10 }, 600);
    expect(job.status).toBe('delayed');
    await page.goto(`${stack().dashboardUrl}#/jobs/${job.jobId}`);
    const badge = page.locator('.facts [data-status]');
    await eventually(
      () => badge.getAttribute('data-status'),
      (value) => value === 'delayed',
      20_000,
    );
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('status').filter({ hasText: 'Job cancelled.' }).waitFor();
    await expect(badge.getAttribute('data-status')).resolves.toBe('cancelled');
    await expect(page.getByRole('button', { name: 'Retry job' }).isEnabled()).resolves.toBe(true);
    const reply = await api('GET', `/v1/jobs/${job.jobId}`, {
      headers: { authorization: `Bearer ${await localToken(USER)}` },
      user: null,
    });
    expect(reply.body.status).toBe('cancelled');
  });

  test("an admin searches all users' jobs; a status the search cannot answer is refused in words", async () => {
    const job = await submitAs(USER, 'system.simulate', { durationMs: 10 }, 600);
    await new JobQueueClient({ url: stack().httpUrl, token: await localToken(USER) }).cancel(job.jobId);
    const page = await signIn(ADMIN, true);
    await page.getByLabel('All users').check();
    await page.getByLabel('Status').selectOption('completed');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(
      /not in its index.*\(VALIDATION_ERROR\)$/,
    );
    await page.getByLabel('User id').fill(USER);
    await page.getByLabel('Status').selectOption('cancelled');
    await statusIn(page, job.jobId).waitFor({ timeout: 20_000 });
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
  });

  test("an unknown job's page says so in the contract's words", async () => {
    const page = await signIn(USER);
    await page.goto(`${stack().dashboardUrl}#/jobs/01JD0000000000000000000000`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/\(NOT_FOUND\)$/);
  });

  test('an admin pauses and resumes a queue', async () => {
    const page = await signIn(ADMIN, true);
    const adminHeaders = { authorization: `Bearer ${await localToken(ADMIN, true)}` };
    try {
      await page.getByRole('link', { name: 'Queues' }).click();
      const state = page.locator(`tr[data-priority="${PRIORITY}"] [data-field="state"]`);
      await state.waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: `Pause ${PRIORITY}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `The ${PRIORITY} queue is paused` })
        .waitFor();
      await expect(state.textContent()).resolves.toBe('paused');
      const queues = await api('GET', '/v1/queues', { headers: adminHeaders, user: null });
      expect(
        queues.body.queues.find((queue: { priority: string }) => queue.priority === PRIORITY).paused,
      ).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-queues-paused.png'), fullPage: true });
      await page.getByRole('button', { name: `Resume ${PRIORITY}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `The ${PRIORITY} queue runs again` })
        .waitFor();
      await expect(state.textContent()).resolves.toBe('running');
    } finally {
      await api('POST', `/v1/queues/${PRIORITY}/resume`, { headers: adminHeaders, user: null });
    }
  });

  test('an admin peeks at a dead letter and redrives it after confirming', async () => {
    const { dlqUrl } = stack().queues[PRIORITY] as { dlqUrl: string };
    const sqs = new SQSClient({
      region: stack().region,
      endpoint: stack().endpoints.sqs,
      credentials,
      useQueueUrlAsEndpoint: false,
    });
    // A job message for a job that does not exist: redriven, the worker drops it.
    const orphan = '01JD00000000000000000DASH01';
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: JSON.stringify({ jobId: orphan, attempt: 1 }),
      }),
    );
    const page = await signIn(ADMIN, true);
    await page.getByRole('link', { name: 'Queues' }).click();
    const redrive = page.getByRole('button', { name: `Redrive ${PRIORITY} DLQ` });
    // Depths are polled every 5 s; SQS's counters lag a little.
    await eventually(
      () => redrive.isEnabled(),
      (enabled) => enabled,
      30_000,
      500,
    );
    await page.getByRole('button', { name: `Peek ${PRIORITY} DLQ` }).click();
    await page.getByRole('link', { name: orphan }).waitFor();
    await redrive.click();
    const dialog = page.getByRole('dialog', { name: `Redrive the ${PRIORITY} dead-letter queue?` });
    await dialog.waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-redrive-confirm.png'), fullPage: true });
    // Cancel first: nothing moves.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await redrive.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Redrive' }).click();
    const notice = page.getByRole('status').filter({ hasText: /^Moved \d+ message\(s\)/ });
    await notice.waitFor();
    expect(Number(/Moved (\d+)/.exec((await notice.textContent()) ?? '')?.[1])).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-queues.png'), fullPage: true });
  });

  test('an admin sees the alarms, a dead letter’s alarm in ALARM first and counted in the nav; a user sees no alarms', async () => {
    // The normal DLQ: alarms.test.ts adds to it too; nothing empties it.
    const { dlqUrl } = stack().queues.normal as { dlqUrl: string };
    const sqs = new SQSClient({
      region: stack().region,
      endpoint: stack().endpoints.sqs,
      credentials,
      useQueueUrlAsEndpoint: false,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'dashboard alarm test' }));

    const user = await signIn(USER);
    await expect(user.getByRole('link', { name: /^Alarms/ }).count()).resolves.toBe(0);

    const page = await signIn(ADMIN, true);
    // Read at sign-in, before any view asks: the nav counts the alarms in ALARM.
    await page.getByTestId('alarm-count').waitFor();
    await page.getByRole('link', { name: /^Alarms/ }).click();
    await page.getByRole('heading', { name: 'Alarms' }).waitFor();
    const row = page.locator('tr[data-state]').filter({ hasText: 'Messages in the normal DLQ' });
    // The state is in words, not colour alone.
    await expect(row.locator('[data-state]').first().textContent()).resolves.toBe('ALARM');
    await expect(row.locator('[data-field="reason"]').textContent()).resolves.toMatch(/^Threshold crossed: /);
    await expect(row.locator('time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect(page.locator('tbody tr').first().getAttribute('data-state')).resolves.toBe('ALARM');
    const count = Number(
      await page.getByTestId('alarm-count').evaluate((node) => node.firstChild?.textContent),
    );
    expect(count).toBe(await page.locator('tbody tr[data-state="ALARM"]').count());
    await expect(
      page
        .locator('tr[data-state]')
        .filter({ hasText: 'The dispatch stream consumer is falling behind' })
        .textContent(),
    ).resolves.toContain('Insufficient data');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-alarms.png'), fullPage: true });

    // A failed read is said in words, and the last answer stays on screen.
    await page.route('**/v1/admin/alarms', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'SERVICE_UNAVAILABLE', message: 'CloudWatch is unreachable.' },
        }),
      }),
    );
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('CloudWatch is unreachable.');
    await expect(row.count()).resolves.toBe(1);
  });
});
