import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { JobRecord } from '../../../lambdas/core/job';
import {
  JobQueueClient,
  messageForWaitingJob,
  type OutgoingMessage,
} from '../../../lambdas/core/job-queue-client';
import type { Priority } from '../../../lambdas/core/priority';
import { storedJob } from '../support/api-dependencies';

const sqs = mockClient(SQSClient);
const NOW = new Date('2026-11-29T10:00:00.000Z');
const QUEUE_URLS: Record<Priority, string> = {
  critical: 'https://sqs/critical',
  high: 'https://sqs/high',
  normal: 'https://sqs/normal',
  low: 'https://sqs/low',
};
const queue = new JobQueueClient(new SQSClient({ region: 'eu-west-1' }), QUEUE_URLS, () => NOW);

const job = (fields: Record<string, unknown>) => storedJob(fields) as unknown as JobRecord;
const outgoing = (jobId: string, priority: Priority = 'normal', extra: Partial<OutgoingMessage> = {}) => ({
  priority,
  message: { jobId, attempt: 1 },
  ...extra,
});
const batches = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('messageForWaitingJob', () => {
  test('a queued job’s message is for its next attempt, on its priority, without runAt', () => {
    expect(
      messageForWaitingJob(job({ jobId: 'j1', status: 'queued', attempts: 2, priority: 'high', runAt: 'x' })),
    ).toEqual({ priority: 'high', message: { jobId: 'j1', attempt: 3, type: 'system.simulate' } });
  });

  test.each(['delayed', 'retrying'])('a %s job’s message carries its runAt', (status) => {
    const runAt = '2026-11-29T10:05:00.000Z';
    expect(messageForWaitingJob(job({ jobId: 'j1', status, attempts: 0, priority: 'low', runAt }))).toEqual({
      priority: 'low',
      message: { jobId: 'j1', attempt: 1, runAt, type: 'system.simulate' },
    });
  });

  test('a delayed job without runAt gets a message without it', () => {
    const { message } = messageForWaitingJob(job({ status: 'delayed', runAt: undefined }));
    expect(message).not.toHaveProperty('runAt');
  });
});

describe('JobQueueClient.send', () => {
  test('sends each priority to its own queue, the message as JSON body, due now without delay', async () => {
    const failed = await queue.send([outgoing('a', 'high'), outgoing('b', 'low'), outgoing('c', 'high')]);
    expect(failed).toEqual([]);
    expect(batches()).toEqual([
      {
        QueueUrl: 'https://sqs/high',
        Entries: [
          { Id: '0', MessageBody: JSON.stringify({ jobId: 'a', attempt: 1 }), DelaySeconds: 0 },
          { Id: '1', MessageBody: JSON.stringify({ jobId: 'c', attempt: 1 }), DelaySeconds: 0 },
        ],
      },
      {
        QueueUrl: 'https://sqs/low',
        Entries: [{ Id: '0', MessageBody: JSON.stringify({ jobId: 'b', attempt: 1 }), DelaySeconds: 0 }],
      },
    ]);
  });

  test('nothing to send sends nothing', async () => {
    await expect(queue.send([])).resolves.toEqual([]);
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  test('a message with runAt is held until then; an explicit delay wins over runAt', async () => {
    const runAt = '2026-11-29T10:01:30.000Z';
    await queue.send([
      { priority: 'normal', message: { jobId: 'a', attempt: 1, runAt } },
      { priority: 'normal', message: { jobId: 'b', attempt: 1, runAt }, delaySeconds: 5 },
      { priority: 'normal', message: { jobId: 'c', attempt: 1, runAt }, delaySeconds: 0 },
    ]);
    expect(batches()[0]?.Entries?.map((entry) => entry.DelaySeconds)).toEqual([90, 5, 0]);
  });

  test('sends at most ten messages per request: 10, 10 and 1 for 21', async () => {
    const messages = Array.from({ length: 21 }, (_, index) => outgoing(`j${index}`));
    await queue.send(messages);
    expect(batches().map((batch) => batch.Entries?.length)).toEqual([10, 10, 1]);
    expect(batches()[1]?.Entries?.map((entry) => entry.Id)).toEqual(
      Array.from({ length: 10 }, (_, index) => String(index)),
    );
    expect(batches()[2]?.Entries?.[0]?.MessageBody).toBe(JSON.stringify({ jobId: 'j20', attempt: 1 }));
  });

  test('exactly ten messages take one request', async () => {
    await queue.send(Array.from({ length: 10 }, (_, index) => outgoing(`j${index}`)));
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  test('returns exactly the messages SQS reported failed, matched by their id within their request', async () => {
    const messages = Array.from({ length: 12 }, (_, index) => outgoing(`j${index}`));
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [{ Id: '3', SenderFault: false, Code: 'InternalError' }],
      })
      .resolvesOnce({
        Failed: [
          { Id: '1', SenderFault: false, Code: 'InternalError' },
          { Id: '7', SenderFault: false, Code: 'Unknown' },
        ],
      });
    const failed = await queue.send(messages);
    expect(failed.map((message) => message.message.jobId)).toEqual(['j3', 'j11']);
  });

  test('a request that fails as a whole fails all of its messages, and only those', async () => {
    const messages = [
      ...Array.from({ length: 11 }, (_, index) => outgoing(`n${index}`)),
      outgoing('h', 'high'),
    ];
    sqs
      .on(SendMessageBatchCommand)
      .resolves({})
      .on(SendMessageBatchCommand, { QueueUrl: 'https://sqs/high' })
      .rejects(new Error('throttled'));
    const failed = await queue.send(messages);
    expect(failed).toEqual([outgoing('h', 'high')]);
  });

  test('a failure report naming no message of the request is ignored', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '9', SenderFault: true, Code: 'X' }] });
    await expect(queue.send([outgoing('a'), outgoing('b')])).resolves.toEqual([]);
  });

  test('without a clock of its own it measures delays against the current time', async () => {
    const client = new JobQueueClient(new SQSClient({ region: 'eu-west-1' }), QUEUE_URLS);
    const runAt = new Date(Date.now() + 3600_000).toISOString();
    const failed = await client.send([{ priority: 'low', message: { jobId: 'a', attempt: 1, runAt } }]);
    expect(failed).toEqual([]);
    expect(batches()[0]?.Entries?.[0]?.DelaySeconds).toBe(900);
  });
});
