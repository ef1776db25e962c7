import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { payloadKey } from '../../../lambdas/core/claim-check';
import { MAX_FRAME_BYTES } from '../../../lambdas/core/socket-frame';
import { handleFrame } from '../../../lambdas/socket/socket-session';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { socketDependencies } from '../support/socket-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const deps = socketDependencies();
const KB = 1024;

const snapshotFor = async (job: Record<string, unknown>) => {
  dynamo.on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves({ Item: job });
  // The watched flag's write hands back the job: that is the snapshot.
  dynamo.on(UpdateCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves({ Attributes: job });
  await handleFrame('c-1', JSON.stringify({ action: 'subscribe', jobId: JOB_ID }), deps);
  const data = Buffer.from(
    management.commandCalls(PostToConnectionCommand)[0]?.args[0].input.Data as Uint8Array,
  );
  return { bytes: data.byteLength, frame: JSON.parse(data.toString('utf8')) };
};

beforeEach(() => {
  dynamo.reset();
  management.reset();
  dynamo
    .on(GetCommand, { Key: { PK: 'CONN#c-1', SK: 'CONN' } })
    .resolves({ Item: { connectionId: 'c-1', userId: 'user-1', isAdmin: false, subscriptions: [] } });
});

test('a snapshot over 128 KB goes without the large fields of the job, truncated', async () => {
  const { bytes, frame } = await snapshotFor(
    storedJob({ status: 'completed', result: 'r'.repeat(140 * KB), metadata: { note: 'kept' } }),
  );
  expect(bytes).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  expect(frame).toMatchObject({
    type: 'job.snapshot',
    truncated: true,
    job: { jobId: JOB_ID, metadata: { note: 'kept' } },
  });
  expect(frame.job).not.toHaveProperty('result');
  expect(frame.job.payload).toEqual({ durationMs: 10 });
});

test('a snapshot of a job whose payload is in S3 says truncated and leaks no reference', async () => {
  const { frame } = await snapshotFor(
    storedJob({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 1 } }),
  );
  expect(frame.truncated).toBe(true);
  expect(JSON.stringify(frame)).not.toContain('payloads/');
});

test('a small snapshot is whole and not truncated', async () => {
  const { frame } = await snapshotFor(storedJob());
  expect(frame).not.toHaveProperty('truncated');
  expect(frame.job.payload).toEqual({ durationMs: 10 });
});
