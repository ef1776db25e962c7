import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { findJobType } from '../../../lambdas/jobs/registry';
import { LastInBatch } from '../../../lambdas/worker/last-in-batch';
import { processJobMessage } from '../../../lambdas/worker/process-message';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { JobTableFake } from '../support/job-table-fake';
import { workerDependencies } from '../support/worker-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const budget = { remainingMs: () => 60_000 };
const message = { jobId: JOB_ID, attempt: 1 };

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
});

/** The real registry, so the rules checked are the ones the API applies. */
const dependencies = (overrides = {}) => workerDependencies(findJobType, overrides);

describe('the worker checks the submission rules again before running a job', () => {
  test.each([
    [
      'a crash diagnostic a user queued before the rule existed',
      { type: 'system.simulate', payload: { crash: true } },
    ],
    ['a system type with no admin mark', { type: 'analytics.rollup', payload: {} }],
    [
      'an email to a domain outside the allowed list',
      { type: 'email.send', payload: { to: 'victim@elsewhere.test', subject: 'Hi', text: 'x' } },
    ],
  ])('%s fails at once with FORBIDDEN, not retried', async (_case, fields) => {
    const table = new JobTableFake(dynamo, storedJob(fields));
    const outcome = await processJobMessage(message, dependencies(), budget);
    expect(outcome).toBe('failed');
    expect(table.statuses).toEqual(['processing', 'failed']);
    expect(table.item).toMatchObject({ error: { code: 'FORBIDDEN', retryable: false }, attempts: 1 });
  });

  test('a payload that no longer passes its schema (CR/LF in a subject) fails as INVALID_PAYLOAD', async () => {
    const table = new JobTableFake(
      dynamo,
      storedJob({
        type: 'email.send',
        payload: { to: 'a@example.com', subject: 'Hi\r\nBcc: victim@elsewhere.test', text: 'x' },
      }),
    );
    expect(await processJobMessage(message, dependencies(), budget)).toBe('failed');
    expect(table.item).toMatchObject({ error: { code: 'INVALID_PAYLOAD', retryable: false } });
  });

  test('an admin-submitted system job runs', async () => {
    const table = new JobTableFake(
      dynamo,
      storedJob({ type: 'system.simulate', payload: { durationMs: 0 }, submittedByAdmin: true }),
    );
    expect(await processJobMessage(message, dependencies(), budget)).toBe('completed');
    expect(table.statuses).toEqual(['processing', 'completed']);
  });

  test('a job that may end the process waits for the rest of its batch before it is claimed', async () => {
    const table = new JobTableFake(
      dynamo,
      storedJob({ payload: { crash: true, steps: 1 }, submittedByAdmin: true }),
    );
    // Never released here: the crash itself would end the test process.
    const runAlone = jest.fn(() => new Promise<void>(() => {}));
    void processJobMessage(message, dependencies({ runAlone }), budget);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runAlone).toHaveBeenCalledTimes(1);
    expect(table.statuses).toEqual([]);
  });

  test('an ordinary job does not wait for its batch', async () => {
    new JobTableFake(dynamo, storedJob());
    const runAlone = jest.fn(async () => {});
    expect(await processJobMessage(message, dependencies({ runAlone }), budget)).toBe('completed');
    expect(runAlone).not.toHaveBeenCalled();
  });
});

describe('LastInBatch', () => {
  const settled = async (promise: Promise<unknown>) => {
    let done = false;
    void promise.then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    return done;
  };

  test('a held-back record runs only after every other record is done', async () => {
    const batch = new LastInBatch(3);
    const held = batch.wait();
    expect(await settled(held)).toBe(false);
    batch.done();
    expect(await settled(held)).toBe(false);
    batch.done();
    expect(await settled(held)).toBe(true);
  });

  test('two held-back records run one after the other', async () => {
    const batch = new LastInBatch(3);
    const first = batch.wait();
    const second = batch.wait();
    batch.done();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false);
    batch.done();
    expect(await settled(second)).toBe(true);
  });

  test('a batch of one held-back record runs at once', async () => {
    expect(await settled(new LastInBatch(1).wait())).toBe(true);
  });
});
