import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { AxeResults } from 'axe-core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Job, JobQueueClient, type SubmitOptions } from '../../client';
import { api, eventually, localSqs, stack } from './support/client';

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
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
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

const clientOf = async (userId: string, admin = false) =>
  new JobQueueClient({ url: stack().httpUrl, token: await localToken(userId, admin) });

/** Submits through the typed client, as an application would. */
const submitAs = async (
  userId: string,
  type: string,
  payload: Record<string, unknown>,
  delaySeconds?: number,
  options: SubmitOptions = {},
) =>
  (await clientOf(userId)).submit(type, payload, { ...options, ...(delaySeconds ? { delaySeconds } : {}) });

/** Waits until the API reports `jobId` in `status`. */
const untilStatusOf = async (userId: string, jobId: string, status: Job['status']): Promise<Job> => {
  const client = await clientOf(userId);
  return eventually(
    () => client.get(jobId),
    (job) => job.status === status,
    30_000,
    250,
  );
};

/** A job of `system.simulate` that fails for good on its first attempt. */
const FAILS_AT_ONCE = { durationMs: 10, steps: 1, failAttempts: 1, failWith: 'fatal' };

/** A bulk `resume.analyze`: one item per description, the last one without any skill fails. */
const BULK_ANALYZE = {
  resume: { text: 'Ada Lovelace. TypeScript, DynamoDB and SQL.' },
  jobDescriptions: [
    { id: 'jd-ts', title: 'Engineer', text: 'Must know TypeScript and SQL. TypeScript daily.' },
    { id: 'jd-ddb', title: 'Data engineer', text: 'DynamoDB and SQL. DynamoDB modelling.' },
    { id: 'jd-none', title: 'Join us', text: 'We are a team and you will work with us.' },
  ],
};

/**
 * axe-core's audit of what the page shows now: no violation of impact serious or critical.
 * The failure names each rule, its impact and the elements it found.
 */
const audit = async (page: Page, view: string): Promise<void> => {
  // Evaluated over the DevTools protocol: the dashboard's CSP (script-src 'self') refuses a script tag.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // The whole document, as axe.run() audits it without a context.
    const { axe } = globalThis as unknown as { axe: { run: () => Promise<AxeResults> } };
    const results = await axe.run();
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
  expect(
    violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) => `${view}: ${violation.id} (${violation.impact}) at ${violation.targets.join(', ')}`,
      ),
  ).toEqual([]);
};

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
    const sqs = localSqs();
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
    const sqs = localSqs();
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

  test('axe-core finds no serious or critical violation on any view', async () => {
    const owner = 'dash-a11y';
    const bulk = await submitAs(owner, 'resume.analyze', BULK_ANALYZE);
    await untilStatusOf(owner, bulk.jobId, 'completed');

    const signInPage = await browser.newPage();
    pages.push(signInPage);
    await signInPage.goto(stack().dashboardUrl);
    await signInPage.getByRole('button', { name: 'Sign in' }).waitFor();
    await audit(signInPage, 'sign-in');

    // An admin sees every view; the rows are this user's own.
    const page = await signIn(owner, true);
    await page.locator(`tr[data-job-id="${bulk.jobId}"]`).waitFor({ timeout: 20_000 });
    await audit(page, 'jobs');

    await page.goto(`${stack().dashboardUrl}#/jobs/${bulk.jobId}`);
    await page.locator('tr[data-item-index]').first().waitFor({ timeout: 20_000 });
    await audit(page, 'job detail');

    await page.getByRole('link', { name: 'Queues' }).click();
    await page.locator('tr[data-priority]').first().waitFor({ timeout: 20_000 });
    await audit(page, 'queues');
    await page.getByRole('button', { name: 'Retry matching jobs…' }).click();
    await page.getByRole('dialog').waitFor();
    await audit(page, 'queues, confirmation dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('link', { name: /^Alarms/ }).click();
    await page.locator('tr[data-state]').first().waitFor({ timeout: 20_000 });
    await audit(page, 'alarms');

    await page.getByRole('link', { name: 'Stats' }).click();
    await page.getByRole('heading', { name: 'Stats' }).waitFor();
    await page.getByRole('table', { name: 'By type, whole range' }).waitFor({ timeout: 20_000 });
    await audit(page, 'stats');
  });

  test('the keyboard alone opens a job from the table and cancels it, with the focus visible', async () => {
    const owner = 'dash-keys';
    // Submitted first: the table's first read shows it.
    const job = await submitAs(owner, 'system.simulate', { durationMs: 10 }, 600);
    const page = await signIn(owner);
    await statusIn(page, job.jobId).waitFor({ timeout: 20_000 });

    /** Tabs forward until the focused element matches, as a keyboard user would. */
    const tabTo = async (selector: string, what: string) => {
      for (let presses = 0; presses < 60; presses++) {
        await page.keyboard.press('Tab');
        const focused = page.locator(':focus');
        if (
          await focused.evaluate((element, wanted) => element.matches(wanted), selector, { timeout: 5000 })
        ) {
          // The focused element shows it: the dashboard's own :focus-visible outline (3 px amber),
          // not merely the browser's default ring.
          await expect(
            focused.evaluate((element) => {
              const style = element.ownerDocument.defaultView?.getComputedStyle(element);
              return {
                focusVisible: element.matches(':focus-visible'),
                outline: `${style?.outlineStyle} ${style?.outlineWidth} ${style?.outlineColor}`,
              };
            }),
          ).resolves.toEqual({ focusVisible: true, outline: 'solid 3px rgb(255, 191, 71)' });
          return;
        }
      }
      throw new Error(`Tab never reached ${what}`);
    };

    await tabTo(`a[href="#/jobs/${job.jobId}"]`, `the link to ${job.jobId}`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Job / }).waitFor();
    await eventually(
      () => page.locator('.facts [data-status]').getAttribute('data-status'),
      (value) => value === 'delayed',
      20_000,
    );
    await tabTo('.actions button.danger', 'the Cancel job button');
    await expect(page.locator(':focus').textContent()).resolves.toBe('Cancel job');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Job cancelled.' }).waitFor();
    await expect((await clientOf(owner)).get(job.jobId)).resolves.toMatchObject({ status: 'cancelled' });
  });

  test('a failed job is retried from its detail page and runs again', async () => {
    const owner = 'dash-retry';
    const job = await submitAs(owner, 'system.simulate', FAILS_AT_ONCE);
    await untilStatusOf(owner, job.jobId, 'failed');
    const page = await signIn(owner);
    await page.goto(`${stack().dashboardUrl}#/jobs/${job.jobId}`);
    const badge = page.locator('.facts [data-status]');
    await eventually(
      () => badge.getAttribute('data-status'),
      (value) => value === 'failed',
      20_000,
    );
    await expect(page.locator('p.error-text strong').textContent()).resolves.toBe('SIMULATED_FATAL');
    await expect(page.getByRole('button', { name: 'Cancel job' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Retry job' }).click();
    await page.getByRole('status').filter({ hasText: 'Job queued again.' }).waitFor();
    // The API tells the same: failed → queued (only a retry does that), and it ran again from attempt 1.
    const client = await clientOf(owner);
    const events = await eventually(
      () => client.events(job.jobId),
      (all) => all.filter((event) => event.to === 'failed').length === 2,
      30_000,
      250,
    );
    expect(events.filter((event) => event.from === 'failed' && event.to === 'queued')).toHaveLength(1);
    expect(events.filter((event) => event.to === 'processing').map((event) => event.attempt)).toEqual([1, 1]);
    // The page followed the second run live (a retry starts a new watch).
    await eventually(
      () => page.locator('ol.timeline li').count(),
      (count) => count === events.length,
      20_000,
    );
    await expect(badge.getAttribute('data-status')).resolves.toBe('failed');
  });

  test("a bulk job's items are listed on its detail page as the API lists them", async () => {
    const owner = 'dash-items';
    const job = await submitAs(owner, 'resume.analyze', BULK_ANALYZE);
    await untilStatusOf(owner, job.jobId, 'completed');
    const page = await signIn(owner);
    await page.goto(`${stack().dashboardUrl}#/jobs/${job.jobId}`);
    const rows = page.locator('tr[data-item-index]');
    await eventually(
      () => rows.count(),
      (count) => count === 3,
      20_000,
    );
    await expect(page.getByRole('heading', { name: /^Items:/ }).textContent()).resolves.toBe(
      'Items: 3 of 3 processed, 1 failed',
    );
    const { items } = await (await clientOf(owner)).itemsPage(job.jobId);
    const shown = await rows.evaluateAll((all) =>
      all.map((row) => ({
        index: Number(row.getAttribute('data-item-index')),
        status: row.querySelector('[data-status]')?.getAttribute('data-status'),
        detail: row.querySelector('[data-field="outcome"]')?.textContent,
      })),
    );
    expect(shown).toEqual(
      items.map((item) => ({
        index: item.index,
        status: item.status,
        detail: item.error ? `${item.error.code}: ${item.error.message}` : JSON.stringify(item.result ?? ''),
      })),
    );
    expect(shown.map((item) => item.status)).toEqual(['completed', 'completed', 'failed']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-bulk-items.png'), fullPage: true });
  });

  test('an admin retries failed jobs in bulk from the queues view, after confirming', async () => {
    // Low priority and one type: nothing else of this file fails there.
    const job = await submitAs('dash-bulk', 'system.simulate', FAILS_AT_ONCE, undefined, { priority: 'low' });
    await untilStatusOf('dash-bulk', job.jobId, 'failed');
    const page = await signIn(ADMIN, true);
    await page.getByRole('link', { name: 'Queues' }).click();
    const form = page.getByRole('region', { name: 'Retry jobs in bulk' });
    await form.getByLabel('Status').selectOption('failed');
    await form.getByLabel('Type').selectOption('system.simulate');
    await form.getByLabel('Priority').selectOption('low');
    await form.getByLabel('At most').fill('1000');
    await form.getByRole('button', { name: 'Retry matching jobs…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry up to 1000 failed jobs?' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain('of type system.simulate with priority low');
    // Cancelled: nothing is retried.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    const client = await clientOf('dash-bulk');
    await expect(client.events(job.jobId)).resolves.not.toContainEqual(
      expect.objectContaining({ from: 'failed', to: 'queued' }),
    );
    await form.getByRole('button', { name: 'Retry matching jobs…' }).click();
    await dialog.getByRole('button', { name: 'Retry' }).click();
    const notice = page.getByRole('status').filter({ hasText: /^Retried \d+ failed job\(s\)/ });
    await notice.waitFor();
    expect(Number(/Retried (\d+)/.exec((await notice.textContent()) ?? '')?.[1])).toBeGreaterThanOrEqual(1);
    const retried = await eventually(
      () => client.events(job.jobId),
      (events) => events.some((event) => event.from === 'failed' && event.to === 'queued'),
      20_000,
      250,
    );
    expect(retried).toContainEqual(expect.objectContaining({ from: 'failed', to: 'queued' }));
    // Retried as by /retry: it ran again from attempt 1.
    await expect(untilStatusOf('dash-bulk', job.jobId, 'failed')).resolves.toMatchObject({ attempts: 1 });
  });

  test('an admin purges a dead-letter queue only after confirming', async () => {
    // The critical DLQ: the redrive test above emptied it; the alarms test watches the normal one.
    const { dlqUrl } = stack().queues[PRIORITY] as { dlqUrl: string };
    const sqs = localSqs();
    for (const body of ['dashboard purge test 1', 'dashboard purge test 2']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
    }
    const adminHeaders = { authorization: `Bearer ${await localToken(ADMIN, true)}` };
    const deadLetters = async () =>
      (await api('GET', `/v1/queues/${PRIORITY}/dlq?limit=10`, { headers: adminHeaders, user: null })).body
        .messages as unknown[];
    const page = await signIn(ADMIN, true);
    await page.getByRole('link', { name: 'Queues' }).click();
    const purge = page.getByRole('button', { name: `Purge ${PRIORITY} DLQ` });
    await eventually(
      () => purge.isEnabled(),
      (enabled) => enabled,
      30_000,
      500,
    );
    await purge.click();
    const dialog = page.getByRole('dialog', { name: `Purge the ${PRIORITY} dead-letter queue?` });
    await dialog.waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-purge-confirm.png'), fullPage: true });
    // Cancelled (Escape, as the keyboard does): nothing is deleted.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await deadLetters()).length).toBeGreaterThanOrEqual(2);
    await purge.click();
    await dialog.getByRole('button', { name: 'Purge' }).click();
    const notice = page.getByRole('status').filter({ hasText: /^Purged \d+ message\(s\)/ });
    await notice.waitFor();
    expect(Number(/Purged (\d+)/.exec((await notice.textContent()) ?? '')?.[1])).toBeGreaterThanOrEqual(2);
    await expect(deadLetters()).resolves.toEqual([]);
    await eventually(
      () => page.locator(`tr[data-priority="${PRIORITY}"] [data-field="dlq"]`).textContent(),
      (depth) => depth === '0',
      20_000,
    );
    await expect(purge.isDisabled()).resolves.toBe(true);
  });

  test('without Cognito or the local issuer, a pasted token signs in; a bad one is refused in words', async () => {
    const owner = 'dash-token';
    const job = await submitAs(owner, 'system.simulate', { durationMs: 10 }, 600);
    const page = await browser.newPage();
    pages.push(page);
    // The stack's config.json as a stack with an external issuer serves it.
    await page.route('**/config.json', async (route) => {
      const config = await (await route.fetch()).json();
      await route.fulfill({ json: { ...config, signIn: { mode: 'token' } } });
    });
    await page.goto(stack().dashboardUrl);
    const token = page.getByLabel(/^Token/);
    await expect(page.getByLabel('User id').count()).resolves.toBe(0);
    await token.fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That is not a JWT');
    await audit(page, 'sign-in with a pasted token, refused');
    await token.fill(await localToken(owner));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await expect(page.getByTestId('user').textContent()).resolves.toBe(owner);
    await statusIn(page, job.jobId).waitFor({ timeout: 20_000 });
    // The page lists what the API lists for that token.
    const listed = await (await clientOf(owner)).listPage({ limit: 20 });
    await expect(
      page
        .locator('tr[data-job-id]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id'))),
    ).resolves.toEqual(listed.jobs.map((entry) => entry.jobId));
    // No local-cloud links for a stack signed in elsewhere.
    await expect(page.getByRole('link', { name: 'transitions and mail sink' }).count()).resolves.toBe(0);
  });
});
