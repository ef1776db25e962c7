import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { api, eventually, getJob, localSqs, sleep, stack, submit, untilStatus } from './support/client';

/**
 * Nothing stranded, end to end. A job is stranded the way production strands one: its
 * queue message is gone while the job still waits (here the message is taken out of a
 * briefly paused queue). Then either the replay of a failed dispatch batch (an on-failure
 * record naming the job's real stream record, as Lambda would send it) brings it back, or
 * a purge of its message ends it.
 */
const USER = 'heidi';
const PRIORITY = 'critical';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sqs = localSqs;

/** Logical id of the only resource of `type` whose id starts with `prefix`, from the synthesized template. */
const templateResourceId = (type: string, prefix: string): string => {
  const template = JSON.parse(
    readFileSync(path.resolve(__dirname, '../../cdk.out/JobQueue.template.json'), 'utf8'),
  );
  const [id] = Object.entries<{ Type: string }>(template.Resources).find(
    ([logicalId, resource]) => resource.Type === type && logicalId.startsWith(prefix),
  ) as [string, unknown];
  return id;
};

/**
 * Submits a job and takes its message out of the queue, as a lost dispatch would leave it.
 * With `delaySeconds` the job is delayed, so its message comes from the dispatcher (the
 * table stream) rather than from the API at submit.
 */
const strandedJob = async (delaySeconds?: number): Promise<{ jobId: string; messageBody: string }> => {
  const queueUrl = stack().queues[PRIORITY]?.url as string;
  const client = sqs();
  expect((await api('POST', `/v1/queues/${PRIORITY}/pause`, { user: 'admin' })).status).toBe(200);
  try {
    // A receive already under way when the pause landed ends within its 1 s long poll.
    await sleep(1500);
    const job = await submit(USER, {
      type: 'system.simulate',
      priority: PRIORITY,
      payload: { durationMs: 10 },
      ...(delaySeconds === undefined ? {} : { delaySeconds }),
    });
    // Others' messages stay invisible until ours is found, so each is received only once
    // here (one receive more towards its DLQ), then they are all put straight back.
    let messageBody: string | undefined;
    const others: string[] = [];
    const deadline = Date.now() + 20_000;
    try {
      while (!messageBody && Date.now() < deadline) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
        );
        for (const message of Messages) {
          if (JSON.parse(message.Body ?? '{}').jobId === job.jobId) {
            messageBody = message.Body;
            await client.send(
              new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
            );
          } else if (message.ReceiptHandle) {
            others.push(message.ReceiptHandle);
          }
        }
        if (!messageBody && Messages.length === 0) await sleep(200);
      }
    } finally {
      for (const receiptHandle of others) {
        await client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }
    }
    if (!messageBody) throw new Error(`The message of ${job.jobId} never reached the ${PRIORITY} queue`);
    return { jobId: job.jobId, messageBody };
  } finally {
    await api('POST', `/v1/queues/${PRIORITY}/resume`, { user: 'admin' });
  }
};

/** Where the job's INSERT record is in the table's stream: shard and sequence number. */
const insertRecordOf = async (jobId: string) => {
  const { endpoints, region, tableName } = stack();
  const dynamodb = new DynamoDBClient({ region, endpoint: endpoints.dynamodb, credentials });
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn as string;
  const streams = new DynamoDBStreamsClient({ region, endpoint: endpoints.dynamodb, credentials });
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    for (let page = 0; iterator && page < 200; page += 1) {
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
      );
      const found = Records.find(
        (record) => record.eventName === 'INSERT' && record.dynamodb?.NewImage?.jobId?.S === jobId,
      );
      if (found) {
        return {
          streamArn,
          shardId: shard.ShardId as string,
          sequenceNumber: found.dynamodb?.SequenceNumber,
        };
      }
      if (Records.length === 0) break;
      iterator = NextShardIterator;
    }
  }
  throw new Error(`No INSERT record of ${jobId} in the stream`);
};

test('a job whose dispatch failed is queued again when its on-failure record is replayed', async () => {
  // A delayed job: its message is the dispatcher's (a job that may start at once is sent by
  // the API at submit, so no dispatch of its insert can fail).
  const { jobId } = await strandedJob(1);
  // Stranded: due, but nothing moves it.
  await sleep(3000);
  expect((await getJob(USER, jobId)).status).toBe('delayed');

  const { streamArn, shardId, sequenceNumber } = await insertRecordOf(jobId);
  const failureQueue = await sqs().send(
    new GetQueueUrlCommand({ QueueName: templateResourceId('AWS::SQS::Queue', 'StreamsDispatchFailures') }),
  );
  // What Lambda sends to the dispatcher's on-failure destination after its retries.
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: failureQueue.QueueUrl,
      MessageBody: JSON.stringify({
        requestContext: {
          requestId: 'e2e',
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:dispatch',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 11,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: new Date().toISOString(),
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: sequenceNumber,
          endSequenceNumber: sequenceNumber,
          batchSize: 1,
          streamArn,
        },
      }),
    }),
  );

  const done = await untilStatus(USER, jobId, ['completed', 'failed'], 45_000);
  expect(done).toMatchObject({ status: 'completed', attempts: 1 });
  // The failure message was consumed (not left to retry or dead-letter).
  await eventually(
    () =>
      sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl: failureQueue.QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    ({ Attributes }) =>
      Attributes?.ApproximateNumberOfMessages === '0' &&
      Attributes?.ApproximateNumberOfMessagesNotVisible === '0',
    15_000,
  );
});

test('purging a waiting job’s dead letter ends the job (PURGED) and removes the message', async () => {
  const { jobId, messageBody } = await strandedJob();
  const dlqUrl = stack().queues[PRIORITY]?.dlqUrl as string;
  await sqs().send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: messageBody }));

  const purged = await api('POST', `/v1/queues/${PRIORITY}/dlq/purge`, { user: 'admin' });
  expect(purged.status).toBe(200);
  expect(purged.body.purged).toBeGreaterThanOrEqual(1);
  const job = await getJob(USER, jobId);
  expect(job).toMatchObject({ status: 'cancelled', error: { code: 'PURGED', retryable: false } });
  const peek = await api('GET', `/v1/queues/${PRIORITY}/dlq?limit=10`, { user: 'admin' });
  expect(peek.body.messages.map((message: { jobId: string }) => message.jobId)).not.toContain(jobId);
});
