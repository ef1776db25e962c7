import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { api, eventually, localSqs, sleep, stack, submit, untilStatus } from './support/client';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sqs = localSqs;
const dynamo = () =>
  new DynamoDBClient({ region: stack().region, endpoint: stack().endpoints.dynamodb, credentials });

describe('crashes', () => {
  test('a worker that dies mid-job loses that attempt only: its message resurfaces and records WORKER_LOST, its batch neighbours finish', async () => {
    // Submitted together, the four jobs reach one worker invocation as one SQS batch.
    const batch = await api('POST', '/v1/jobs/batch', {
      user: 'admin',
      body: {
        jobs: [
          { type: 'system.simulate', payload: { durationMs: 600, steps: 2, crash: true }, maxAttempts: 1 },
          ...[1, 2, 3].map(() => ({ type: 'system.simulate', payload: { durationMs: 1500, steps: 3 } })),
        ],
      },
    });
    expect(batch.status).toBe(202);
    const [crash, ...neighbours] = batch.body.jobs as { jobId: string }[];
    for (const neighbour of neighbours) {
      // Without the crash held back to the end of its batch, each would lose an attempt to WORKER_LOST.
      expect(await untilStatus('admin', neighbour.jobId, ['completed', 'failed'], 90_000)).toMatchObject({
        status: 'completed',
        attempts: 1,
      });
    }
    // The crashed invocation's messages resurface once their shortened visibility runs out
    // (2 × the tests' 10 s lease; the queue's own timeout is 33 minutes): the redelivery finds
    // the lease over and records the lost attempt.
    const failed = await untilStatus('admin', crash?.jobId ?? '', ['failed', 'completed'], 60_000);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'WORKER_LOST', retryable: false },
      durationMs: expect.any(Number),
    });
    expect(Date.parse(failed.completedAt) - Date.parse(failed.startedAt)).toBeLessThan(45_000);
    const events = (await api('GET', `/v1/jobs/${crash?.jobId}/events`, { user: 'admin' })).body.events;
    expect(events.map((event: { to: string }) => event.to)).toEqual(['queued', 'processing', 'failed']);

    // The crash ended one execution environment only: the next job runs on a fresh one.
    const next = await submit('judy', { type: 'system.simulate', payload: { durationMs: 10 } });
    await untilStatus('judy', next.jobId, ['completed']);
  });

  test('a crashed attempt with attempts left is retried after its lost attempt is recorded', async () => {
    const job = await submit('admin', {
      type: 'system.simulate',
      payload: { durationMs: 400, steps: 2, crash: true },
      maxAttempts: 2,
    });
    // Every attempt crashes: attempt 1 is recorded lost (retrying), attempt 2 too (failed).
    const failed = await untilStatus('admin', job.jobId, ['failed', 'completed'], 100_000);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'WORKER_LOST' } });
    const events = (await api('GET', `/v1/jobs/${job.jobId}/events`, { user: 'admin' })).body.events;
    expect(events.map((event: { to: string }) => event.to)).toEqual([
      'queued',
      'processing',
      'retrying',
      'processing',
      'failed',
    ]);
    expect(events[2].error).toMatchObject({ code: 'WORKER_LOST', retryable: true });
  });

  test('a poison message ends in the dead-letter queue after maxReceiveCount receives', async () => {
    const { url, dlqUrl } = stack().queues.low as { url: string; dlqUrl: string };
    const client = sqs();
    const marker = `poison-${Date.now()}`;
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: marker }));
    const dead = await eventually(
      () =>
        client.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
        ),
      (reply) => (reply.Messages ?? []).some((message) => message.Body === marker),
      60_000,
      500,
    );
    expect(dead.Messages?.some((message) => message.Body === marker)).toBe(true);
  });
});

describe('wiring, read back with the AWS SDK', () => {
  test('every priority queue redrives to its own dead-letter queue', async () => {
    const client = sqs();
    for (const priority of ['critical', 'high', 'normal', 'low']) {
      const queue = stack().queues[priority] as { url: string; dlqUrl: string };
      const { Attributes = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'],
        }),
      );
      const dlq = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['QueueArn'] }),
      );
      const redrive = JSON.parse(Attributes.RedrivePolicy ?? '{}');
      expect(redrive.deadLetterTargetArn).toBe(dlq.Attributes?.QueueArn);
      expect(Number(redrive.maxReceiveCount)).toBeGreaterThan(0);
      expect(Number(Attributes.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * 60);
    }
  });

  test('the local SQS honours visibility changes of messages in flight, as SQS does (the stalled-job detector)', async () => {
    const client = sqs();
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({
        QueueName: `visibility-check-${Date.now()}`,
        Attributes: { VisibilityTimeout: '600' },
      }),
    );
    try {
      await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'm' }));
      const receive = async () =>
        (
          await client.send(
            new ReceiveMessageCommand({
              QueueUrl,
              WaitTimeSeconds: 0,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            }),
          )
        ).Messages ?? [];
      const change = (receiptHandle: string | undefined, seconds: number) =>
        client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl,
            Entries: [{ Id: '0', ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }],
          }),
        );
      const [first] = await receive();
      // Shortened from the queue's 600 s: hidden for 2 s, then receivable again.
      expect((await change(first?.ReceiptHandle, 2)).Successful).toEqual([{ Id: '0' }]);
      expect(await receive()).toEqual([]);
      await sleep(2500);
      const [again] = await receive();
      expect(again?.Body).toBe('m');
      expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
      // The first receive's handle is void now: a late extension by a dead worker's invocation fails.
      expect((await change(first?.ReceiptHandle, 60)).Failed).toEqual([
        expect.objectContaining({ Id: '0', SenderFault: true }),
      ]);
      // Extended before it runs out, it stays hidden past its first deadline.
      await change(again?.ReceiptHandle, 2);
      await sleep(1500);
      await change(again?.ReceiptHandle, 2);
      await sleep(1500);
      expect(await receive()).toEqual([]);
    } finally {
      await client.send(new DeleteQueueCommand({ QueueUrl }));
    }
  });

  test('the table has its stream, TTL on expiresAt, and no lease index', async () => {
    const client = dynamo();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: stack().tableName }));
    expect(Table?.StreamSpecification).toMatchObject({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
      'StatusJobs',
      'UserJobs',
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: stack().tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  test('the dashboard shows the queues', async () => {
    const response = await fetch(`${stack().dashboardUrl}api/summary`);
    const summary = (await response.json()) as { queues: { priority: string }[] };
    expect(summary.queues.map((queue) => queue.priority).sort()).toEqual([
      'critical',
      'high',
      'low',
      'normal',
    ]);
  });
});

describe('statistics', () => {
  test("today's totals count submitted, completed and failed jobs of the caller", async () => {
    const user = 'mallory';
    const before = (await api('GET', '/v1/stats', { user })).body;
    const ok = await Promise.all(
      [1, 2].map(() => submit(user, { type: 'system.simulate', payload: { durationMs: 100 } })),
    );
    const bad = await submit(user, {
      type: 'system.simulate',
      payload: { durationMs: 10, failAttempts: 1, failWith: 'fatal' },
    });
    for (const job of ok) await untilStatus(user, job.jobId, ['completed']);
    await untilStatus(user, bad.jobId, ['failed']);
    const after = await eventually(
      async () => (await api('GET', '/v1/stats', { user })).body,
      (stats) =>
        stats.totals.completed >= before.totals.completed + 2 &&
        stats.totals.failed >= before.totals.failed + 1,
    );
    expect(after.totals.submitted - before.totals.submitted).toBe(3);
    expect(after.totals.completed - before.totals.completed).toBe(2);
    expect(after.totals.failed - before.totals.failed).toBe(1);
    const today = new Date().toISOString().slice(0, 10);
    expect(after.window).toEqual({ from: today, to: today });
    expect(after.byType['system.simulate'].avgDurationMs).toBeGreaterThan(0);
    expect(Object.keys(after.byPriority).sort()).toEqual(['critical', 'high', 'low', 'normal']);
    expect((await api('GET', '/v1/stats?from=2026-13-01', { user })).status).toBe(400);
  });
});

describe('analytics.rollup', () => {
  test('rolls today’s counters into rollup items, and a second run for the same window changes nothing', async () => {
    const at = new Date().toISOString();
    const first = await submit('admin', { type: 'analytics.rollup', payload: { at } });
    const done = await untilStatus('admin', first.jobId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.result.days).toContain(at.slice(0, 10));
    expect(done.result.scopes).toBeGreaterThanOrEqual(2);
    const second = await submit('admin', { type: 'analytics.rollup', payload: { at } });
    const again = await untilStatus('admin', second.jobId, ['completed', 'failed']);
    expect(again.result.itemsWritten).toBeGreaterThanOrEqual(done.result.itemsWritten);
  });
});
