import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MAX_INLINE_EVENTS } from '../../../lambdas/core/item-size';
import type { JobEvent } from '../../../lambdas/core/job';
import { JobStore } from '../../../lambdas/core/job-store';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const store = new JobStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  'jobs-test',
);

const log = (length: number): JobEvent[] =>
  Array.from({ length }, (_, index) => ({
    at: `2026-11-29T10:00:${String(index % 60).padStart(2, '0')}.000Z`,
    from: index === 0 ? null : 'failed',
    to: index === 0 ? 'queued' : 'queued',
    attempt: index,
  }));

const retry = () =>
  store.transition({
    jobId: JOB_ID,
    from: ['failed'],
    to: 'queued',
    at: '2026-11-29T11:00:00.000Z',
    expectedAttempts: 3,
    attempt: 0,
    set: { attempts: 0 },
  });

beforeEach(() => dynamo.reset());

describe('the transition log inside the job item stays bounded', () => {
  test('a transition that takes the log past its bound is followed by a trim of the oldest entries after the first', async () => {
    const events = log(MAX_INLINE_EVENTS + 1);
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: storedJob({ status: 'queued', events }) })
      .resolves({});
    const result = await retry();
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 2);
    const trim = dynamo.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(trim).toMatchObject({
      Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' },
      UpdateExpression: 'REMOVE #events[1]',
      ConditionExpression: 'size(#events) = :length',
      ExpressionAttributeValues: { ':length': MAX_INLINE_EVENTS + 1 },
    });
    // The trim changes nothing a client sees: no version bump, no status.
    expect(trim?.UpdateExpression).not.toMatch(/version|status/);
    expect(result.ok && result.job.events).toEqual([events[0], ...events.slice(2)]);
  });

  test('a log within its bounds costs no extra write', async () => {
    dynamo
      .on(UpdateCommand)
      .resolves({ Attributes: storedJob({ status: 'queued', events: log(MAX_INLINE_EVENTS) }) });
    const result = await retry();
    expect(result.ok).toBe(true);
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  test('a trim that loses a race (the log grew meanwhile) leaves the transition recorded', async () => {
    const events = log(MAX_INLINE_EVENTS + 3);
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: storedJob({ status: 'queued', events }) })
      .rejects(conditionFailed());
    const result = await retry();
    expect(result).toMatchObject({ ok: true, job: { status: 'queued' } });
    expect(result.ok && result.job.events).toHaveLength(MAX_INLINE_EVENTS + 3);
  });
});
