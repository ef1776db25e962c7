import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { JobRecord } from '../../../lambdas/core/job';
import { JobStore } from '../../../lambdas/core/job-store';
import { NOW, storedJob } from '../support/api-dependencies';
import { transactionCancelled } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const store = () =>
  new JobStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    'jobs-test',
    undefined,
    () => NOW,
  );

const OLD = '01JD0000000000000000000OLD';
const WINNER = '01JD000000000000000000WINR';
const claim = { userId: 'user-1', key: 'key-1', requestHash: 'hash-1' };
const idemItem = (jobId: string) => ({
  PK: 'IDEM#user-1#key-1',
  SK: 'IDEM',
  jobId,
  requestHash: 'hash-1',
  expiresAt: NOW.getTime() / 1000 + 3600,
});

describe('removing a job from the table', () => {
  test.each(['queued', 'processing', 'retrying', 'delayed'] as const)(
    'a %s status can never be a removal condition',
    async (status) => {
      await expect(store().removeFinished('01JD0000000000000000000000', { status })).rejects.toThrow(
        /Only finished jobs/,
      );
      expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
    },
  );
});

describe('an Idempotency-Key whose job was deleted', () => {
  test('two re-submits racing for it: the one that loses the take-over gets the winner’s job back', async () => {
    let idemReads = 0;
    dynamo.on(GetCommand).callsFake((input: GetCommandInput) => {
      if (input.Key?.SK === 'IDEM') {
        idemReads += 1;
        return { Item: idemItem(idemReads === 1 ? OLD : WINNER) };
      }
      return input.Key?.PK === `JOB#${WINNER}`
        ? { Item: storedJob({ jobId: WINNER, PK: `JOB#${WINNER}` }) }
        : {};
    });
    dynamo.on(TransactWriteCommand).rejects(transactionCancelled());
    const job = { ...storedJob(), jobId: '01JD000000000000000000MINE' } as unknown as JobRecord;

    const result = await store().create(job, claim);

    expect(result).toMatchObject({ outcome: 'replayed', job: { jobId: WINNER } });
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  test('a take-over refused again while the key still names a deleted job is not retried forever', async () => {
    dynamo
      .on(GetCommand)
      .callsFake((input: GetCommandInput) => (input.Key?.SK === 'IDEM' ? { Item: idemItem(OLD) } : {}));
    dynamo.on(TransactWriteCommand).rejects(transactionCancelled());
    const job = { ...storedJob(), jobId: '01JD000000000000000000MINE' } as unknown as JobRecord;

    await expect(store().create(job, claim)).rejects.toThrow('Transaction cancelled');
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });
});
