import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, storedJob } from '../support/api-dependencies';
import { serveBatchGets } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const POSITION = '2026-11-23T10:00:00.000Z#01JD0000000000000000000000';
const list = (query: Record<string, string>) =>
  route(httpEvent('GET /v1/jobs', '/v1/jobs', { query }), apiDependencies());

test('the next cursor is the last listed position, base64url-encoded, and continues the index there', async () => {
  dynamo.on(QueryCommand).resolves({
    Items: [storedJob({ GSI1SK: POSITION })],
    LastEvaluatedKey: { GSI1PK: 'USER#user-1', GSI1SK: POSITION },
  });
  serveBatchGets(dynamo, [storedJob({ GSI1SK: POSITION })]);
  const first = parse((await list({ limit: '1' })).body);
  expect(first.nextCursor).toBe(Buffer.from(POSITION, 'utf8').toString('base64url'));

  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
  expect((await list({ cursor: first.nextCursor })).statusCode).toBe(200);
  expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
    ExclusiveStartKey: {
      GSI1PK: 'USER#user-1',
      GSI1SK: POSITION,
      PK: 'JOB#01JD0000000000000000000000',
      SK: 'JOB',
    },
  });
});

test.each([
  ['a position of another shape', Buffer.from('USER#someone-else', 'utf8').toString('base64url')],
  ['a position of another user index shape', Buffer.from(`x${POSITION}`, 'utf8').toString('base64url')],
  [
    'the right position in another encoding (padded base64)',
    `${Buffer.from(POSITION, 'utf8').toString('base64')}==`,
  ],
  ['text that is not base64url at all', '!!!'],
])('%s is a 400 naming the cursor, and nothing is queried', async (_case, cursor) => {
  const result = await list({ cursor });
  expect(result.statusCode).toBe(400);
  expect(parse(result.body).error).toEqual({
    code: 'VALIDATION_ERROR',
    message: 'The cursor is invalid.',
    details: { fields: [{ field: 'cursor', message: 'not a cursor this API returned' }] },
  });
  expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
});

test('the last page has no next cursor', async () => {
  dynamo.on(QueryCommand).resolves({ Items: [storedJob({ GSI1SK: POSITION })] });
  serveBatchGets(dynamo, [storedJob({ GSI1SK: POSITION })]);
  const body = parse((await list({})).body);
  expect(body.jobs).toHaveLength(1);
  expect(body.nextCursor).toBeNull();
});
