import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { TypeRateLimiter } from '../../../lambdas/core/type-rate-limiter';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const clock = () => new Date('2026-11-23T10:00:00.700Z');
const limiter = new TypeRateLimiter(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  'jobs-test',
  clock,
);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
});

test('a start takes one token of the current second with one conditional update', async () => {
  dynamo.on(UpdateCommand).resolves({});
  expect(await limiter.tryAcquire('email.send', 14)).toBe(true);
  const second = Math.floor(clock().getTime() / 1000);
  expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
    Key: { PK: 'TYPERATE#email.send', SK: String(second) },
    ConditionExpression: 'attribute_not_exists(#count) OR #count <= :ceiling',
    // One start, allowed while fewer than 14 were taken: count ≤ 14 − 1.
    ExpressionAttributeValues: expect.objectContaining({ ':count': 1, ':ceiling': 13 }),
  });
});

test('a full second refuses the start instead of throwing', async () => {
  dynamo.on(UpdateCommand).rejects(conditionFailed());
  expect(await limiter.tryAcquire('email.send', 14)).toBe(false);
});

test('other DynamoDB errors are not mistaken for a full window', async () => {
  dynamo.on(UpdateCommand).rejects(new Error('network down'));
  await expect(limiter.tryAcquire('email.send', 14)).rejects.toThrow('network down');
});

describe('the worker under a type rate limit', () => {
  test('a refused start re-sends the message a second later and uses no attempt', async () => {
    const { processJobMessage } = await import('../../../lambdas/worker/process-message');
    const { JobTableFake } = await import('../support/job-table-fake');
    const { storedJob, JOB_ID } = await import('../support/api-dependencies');
    const { workerDependencies, NORMAL_QUEUE_URL } = await import('../support/worker-dependencies');
    const { findJobType } = await import('../../../lambdas/jobs/registry');
    const table = new JobTableFake(dynamo, storedJob({ type: 'email.send' }));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const outcome = await processJobMessage(
      { jobId: JOB_ID, attempt: 1 },
      workerDependencies(findJobType, { admit: async () => false }),
      { remainingMs: () => 60_000 },
    );
    expect(outcome).toBe('throttled');
    expect(table.updates).toHaveLength(0);
    expect(table.item).toMatchObject({ status: 'queued', attempts: 0 });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: NORMAL_QUEUE_URL,
      Entries: [
        expect.objectContaining({
          DelaySeconds: 1,
          MessageBody: JSON.stringify({ jobId: JOB_ID, attempt: 1 }),
        }),
      ],
    });
  });
});
