import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, NOW } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
/** Every SQS and DynamoDB request in the order the API made them. */
let order: string[] = [];

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  order = [];
  dynamo.on(PutCommand).callsFake(() => {
    order.push('put');
    return {};
  });
  dynamo.on(BatchWriteCommand).callsFake(() => {
    order.push('batch-write');
    return {};
  });
  sqs.on(SendMessageBatchCommand).callsFake((input) => {
    order.push(`send:${input.QueueUrl}`);
    return { Successful: [], Failed: [] };
  });
});

const simulate = (extra: Record<string, unknown> = {}) => ({
  type: 'system.simulate',
  payload: { durationMs: 1 },
  ...extra,
});
const submit = (body: unknown) => route(httpEvent('POST /v1/jobs', '/v1/jobs', { body }), apiDependencies());
const batch = (body: unknown) =>
  route(httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', { body }), apiDependencies());

const sentMessages = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '')),
    );
const savedItem = () => dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item;

describe('a job that may start now is sent to its queue before it is saved', () => {
  test('single submit: the message goes to the priority queue first, then the job is put marked sentAtSubmit', async () => {
    const result = await submit(simulate({ priority: 'critical' }));
    expect(result.statusCode).toBe(202);
    const { jobId } = parse(result.body);
    expect(order).toEqual(['send:c', 'put']);
    expect(sentMessages()).toEqual([
      { jobId, attempt: 1, type: 'system.simulate', sentAt: NOW.toISOString() },
    ]);
    expect(savedItem()).toMatchObject({ jobId, status: 'queued', sentAtSubmit: true });
    // An internal mark: the answer does not show it.
    expect(parse(result.body)).not.toHaveProperty('sentAtSubmit');
  });

  test('a delayed job is not sent at submit: the dispatcher sends it for its runAt', async () => {
    const result = await submit(simulate({ delaySeconds: 60 }));
    expect(parse(result.body).status).toBe('delayed');
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
    expect(savedItem()?.sentAtSubmit).toBeUndefined();
  });

  test('SQS refusing the message: the job is still saved, unmarked, so the dispatcher sends it', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }],
    });
    const result = await submit(simulate());
    expect(result.statusCode).toBe(202);
    expect(savedItem()).toMatchObject({ status: 'queued' });
    expect(savedItem()?.sentAtSubmit).toBeUndefined();
  });

  test('SQS unreachable: the job is still saved, unmarked', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('connect ECONNREFUSED'));
    const result = await submit(simulate());
    expect(result.statusCode).toBe(202);
    expect(savedItem()?.sentAtSubmit).toBeUndefined();
  });

  test('a batch: ten messages to a request per priority before the jobs are written; a refused one stays unmarked', async () => {
    sqs.on(SendMessageBatchCommand, { QueueUrl: 'n' }).callsFake((input) => {
      order.push(`send:${input.QueueUrl}`);
      // The third entry of the first request is refused.
      return input.Entries?.[0]?.Id === '0' && input.Entries.length === 10
        ? { Successful: [], Failed: [{ Id: '2', SenderFault: false, Code: 'InternalError' }] }
        : { Successful: [], Failed: [] };
    });
    const jobs = [
      ...Array.from({ length: 12 }, () => simulate()),
      simulate({ priority: 'critical' }),
      simulate({ delaySeconds: 30 }),
    ];
    const result = await batch({ jobs });
    expect(result.statusCode).toBe(202);
    const answered = parse(result.body).jobs as { jobId: string }[];
    // Messages: 12 normal (10 + 2) and 1 critical; the delayed job has none.
    expect(order.filter((step) => step.startsWith('send:')).sort()).toEqual(['send:c', 'send:n', 'send:n']);
    expect(order.at(-1)).toBe('batch-write');
    expect(new Set(sentMessages().map((message) => message.jobId))).toEqual(
      new Set(answered.slice(0, 13).map((job) => job.jobId)),
    );
    const items = dynamo
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.['jobs-test'] ?? [])
      .map((request) => request.PutRequest?.Item as Record<string, unknown>);
    const marked = (jobId: string | undefined) => items.find((item) => item.jobId === jobId)?.sentAtSubmit;
    const refusedJobId = sentMessages()[2]?.jobId;
    for (const job of answered.slice(0, 13)) {
      expect([job.jobId, marked(job.jobId)]).toEqual([
        job.jobId,
        job.jobId === refusedJobId ? undefined : true,
      ]);
    }
    expect(marked(answered[13]?.jobId)).toBeUndefined();
  });
});
