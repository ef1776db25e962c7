import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { drainDeadLetters } from '../../../lambdas/api/admin-queues';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const ADMIN = { id: 'admin-1', isAdmin: true };
const OTHER_JOB = '01JD0000000000000000000001';

/** The table updates and SQS deletes and sends, in the order they were made. */
let calls: string[] = [];

const deadLetters = (...jobIds: string[]) => ({
  Messages: jobIds.map((jobId, index) => ({
    MessageId: `m${index}`,
    ReceiptHandle: `r${index}`,
    Body: JSON.stringify({ jobId, attempt: 1 }),
  })),
});

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  calls = [];
  sqs.on(DeleteMessageBatchCommand).callsFake(() => {
    calls.push('delete');
    return {};
  });
  dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'queued', attempts: 0 }) });
  dynamo.on(UpdateCommand).callsFake(() => {
    calls.push('update');
    return { Attributes: storedJob({ status: 'cancelled' }) };
  });
});

test('purge ends the waiting job before it deletes the message', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID)).resolves({ Messages: [] });
  await expect(drainDeadLetters('normal', 'purge', ADMIN, apiDependencies())).resolves.toEqual({ purged: 1 });
  expect(calls).toEqual(['update', 'delete']);
  expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
    ':from0': 'queued',
    ':s0': 'cancelled',
  });
});

test('a message whose job could not be ended is not deleted (it stays for the next purge)', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID, OTHER_JOB)).resolves({ Messages: [] });
  dynamo
    .on(GetCommand, { Key: { PK: `JOB#${OTHER_JOB}`, SK: 'JOB' } })
    .resolves({ Item: storedJob({ jobId: OTHER_JOB, PK: `JOB#${OTHER_JOB}` }) });
  dynamo
    .on(UpdateCommand, { Key: { PK: `JOB#${OTHER_JOB}`, SK: 'JOB' } })
    .rejects(new Error('ProvisionedThroughputExceeded'));
  const result = await drainDeadLetters('normal', 'purge', ADMIN, apiDependencies());
  expect(result).toEqual({ purged: 1 });
  const deletes = sqs.commandCalls(DeleteMessageBatchCommand);
  expect(deletes).toHaveLength(1);
  expect(deletes[0]?.args[0].input.Entries).toEqual([{ Id: '0', ReceiptHandle: 'r0' }]);
});

test('if ending the jobs fails outright, nothing is deleted', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID)).resolves({ Messages: [] });
  dynamo.on(GetCommand).rejects(new Error('DynamoDB unavailable'));
  await expect(drainDeadLetters('normal', 'purge', ADMIN, apiDependencies())).resolves.toEqual({ purged: 0 });
  expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
});

test('redrive sends before it deletes, and ends no job', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID)).resolves({ Messages: [] });
  sqs.on(SendMessageBatchCommand).callsFake(() => {
    calls.push('send');
    return { Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }] };
  });
  await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
    moved: 1,
  });
  expect(calls).toEqual(['send', 'delete']);
  expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
});
