import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { api, eventually, stack, submit, untilStatus } from './support/client';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sqs = () =>
  new SQSClient({
    region: stack().region,
    endpoint: stack().endpoints.sqs,
    credentials,
    useQueueUrlAsEndpoint: false,
  });
const dynamo = () =>
  new DynamoDBClient({ region: stack().region, endpoint: stack().endpoints.dynamodb, credentials });

describe('crashes', () => {
  test('a worker that dies mid-job loses that attempt only: the sweep records WORKER_LOST, its batch neighbours finish', async () => {
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
    // Lease 30 s + one sweep tick.
    const failed = await untilStatus('admin', crash?.jobId ?? '', ['failed', 'completed'], 90_000);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'WORKER_LOST' },
    });

    // The crash ended one execution environment only: the next job runs on a fresh one.
    const next = await submit('judy', { type: 'system.simulate', payload: { durationMs: 10 } });
    await untilStatus('judy', next.jobId, ['completed']);
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

  test('the table has its stream, TTL on expiresAt and the three indexes', async () => {
    const client = dynamo();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: stack().tableName }));
    expect(Table?.StreamSpecification).toMatchObject({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
      'GSI3',
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
