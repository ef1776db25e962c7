import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ItemStore } from '../../../lambdas/core/item-store';

const dynamo = mockClient(DynamoDBDocumentClient);
const store = new ItemStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  'jobs-test',
);
const JOB = '01JBULK';

const queryInput = (index = 0) => dynamo.commandCalls(QueryCommand)[index]?.args[0].input;
const row = (index: number, fields: Record<string, unknown> = {}) => ({
  PK: `JOB#${JOB}`,
  SK: `ITEM#${String(index).padStart(6, '0')}`,
  index,
  status: 'completed',
  expiresAt: 1,
  ...fields,
});

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
});

test('put stores the item under JOB#<jobId> / ITEM#<6-digit index> with its expiry', async () => {
  const error = { code: 'BAD_ITEM', message: 'no', retryable: false };
  await store.put(JOB, { index: 42, status: 'failed', error }, 1_800_000_000);
  expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
    TableName: 'jobs-test',
    Item: {
      PK: `JOB#${JOB}`,
      SK: 'ITEM#000042',
      index: 42,
      status: 'failed',
      error,
      expiresAt: 1_800_000_000,
    },
  });
});

describe('list', () => {
  test('the first page queries the item rows of the job from the start, with the limit', async () => {
    dynamo.on(QueryCommand).resolves({});
    await expect(store.list(JOB, { limit: 10 })).resolves.toEqual({ items: [] });
    expect(queryInput()).toEqual({
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `JOB#${JOB}`, ':prefix': 'ITEM#' },
      ExclusiveStartKey: undefined,
      Limit: 10,
    });
  });

  test('a later page starts after the given index (index 0 included)', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await store.list(JOB, { afterIndex: 0, limit: 5 });
    await store.list(JOB, { afterIndex: 7, limit: 5 });
    expect(queryInput(0)?.ExclusiveStartKey).toEqual({ PK: `JOB#${JOB}`, SK: 'ITEM#000000' });
    expect(queryInput(1)?.ExclusiveStartKey).toEqual({ PK: `JOB#${JOB}`, SK: 'ITEM#000007' });
  });

  test('maps rows to items: index, status, and result or error only when stored', async () => {
    const error = { code: 'E', message: 'm', retryable: true };
    dynamo.on(QueryCommand).resolves({
      Items: [
        row(0, { result: { n: 1 } }),
        row(1, { status: 'failed', error }),
        row(2, { status: 'pending', index: '2' }),
      ],
    });
    const page = await store.list(JOB, { limit: 3 });
    expect(page).toEqual({
      items: [
        { index: 0, status: 'completed', result: { n: 1 } },
        { index: 1, status: 'failed', error },
        { index: 2, status: 'pending' },
      ],
    });
    expect(page.items[2]).not.toHaveProperty('result');
    expect(page.items[2]).not.toHaveProperty('error');
    expect(page).not.toHaveProperty('lastIndex');
  });

  test('a stored null result is kept (only a missing one is left out)', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [row(0, { result: null })] });
    const page = await store.list(JOB, { limit: 1 });
    expect(page.items[0]).toHaveProperty('result', null);
  });

  test('when more rows follow, the page names the index of its last item', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [row(3), row(4)], LastEvaluatedKey: row(4) });
    await expect(store.list(JOB, { limit: 2 })).resolves.toMatchObject({ lastIndex: 4 });
  });

  test('an empty page with a LastEvaluatedKey names no last index', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [], LastEvaluatedKey: row(4) });
    await expect(store.list(JOB, { limit: 2 })).resolves.toEqual({ items: [] });
  });
});

test('listAll reads page after page of 500 until no more follow', async () => {
  dynamo
    .on(QueryCommand)
    .resolvesOnce({ Items: [row(0), row(1)], LastEvaluatedKey: row(1) })
    .resolvesOnce({ Items: [row(2)], LastEvaluatedKey: row(2) })
    .resolvesOnce({ Items: [row(3)] });
  const items = await store.listAll(JOB);
  expect(items.map((item) => item.index)).toEqual([0, 1, 2, 3]);
  expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 3);
  expect(queryInput(0)).toMatchObject({ Limit: 500, ExclusiveStartKey: undefined });
  expect(queryInput(1)).toMatchObject({ Limit: 500, ExclusiveStartKey: { SK: 'ITEM#000001' } });
  expect(queryInput(2)?.ExclusiveStartKey).toEqual({ PK: `JOB#${JOB}`, SK: 'ITEM#000002' });
});
