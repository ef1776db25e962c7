import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ConnectionStore } from '../../../lambdas/core/connection-store';
import { SOCKET_HANDLER_TABLE_ACCESS } from '../../../lambdas/socket/table-access';
import { conditionFailed } from '../support/aws';

/**
 * The WebSocket handler's IAM policy grants item actions only on partition keys with the
 * prefixes of SOCKET_HANDLER_TABLE_ACCESS (dynamodb:LeadingKeys). The local cloud ignores
 * IAM, so this lists every key the connection store touches and checks each is granted.
 * (test/infra/socket-permissions.test.ts checks the same against the synthesized policy.)
 */
const dynamo = mockClient(DynamoDBDocumentClient);
const store = new ConnectionStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  'jobs-test',
);

const ACTION_BY_COMMAND = new Map<unknown, string>([
  [GetCommand, 'dynamodb:GetItem'],
  [PutCommand, 'dynamodb:PutItem'],
  [UpdateCommand, 'dynamodb:UpdateItem'],
  [DeleteCommand, 'dynamodb:DeleteItem'],
  [BatchWriteCommand, 'dynamodb:BatchWriteItem'],
]);

/** (action, partition key) of every table call the store made. */
const touchedKeys = () =>
  dynamo.calls().flatMap((call) => {
    const command = call.args[0] as { constructor: unknown; input: any };
    const action = ACTION_BY_COMMAND.get(command.constructor) ?? 'not granted';
    if (command instanceof BatchWriteCommand) {
      return (Object.values(command.input.RequestItems ?? {}).flat() as any[]).map((request) => ({
        action,
        key: String(request.DeleteRequest?.Key?.PK ?? request.PutRequest?.Item?.PK),
      }));
    }
    return [{ action, key: String(command.input.Key?.PK ?? command.input.Item?.PK) }];
  });

const granted = ({ action, key }: { action: string; key: string }) =>
  SOCKET_HANDLER_TABLE_ACCESS.some(
    (access) =>
      access.actions.includes(action) && access.leadingKeyPrefixes.some((prefix) => key.startsWith(prefix)),
  );

beforeEach(() => {
  dynamo.reset();
  dynamo.onAnyCommand().resolves({});
  dynamo.on(GetCommand).resolves({
    Item: {
      userId: 'user-1',
      isAdmin: false,
      subscriptions: new Set(['SUB#01JOB', 'SUB#USER#user-1']),
    },
  });
});

test('every key the connection store writes or reads for the socket handler is inside the granted prefixes', async () => {
  await store.save('c-1', 'user-1', false);
  await store.get('c-1');
  await store.subscribe('c-1', { jobId: '01JOB' });
  await store.subscribe('c-1', { userId: 'user-1' });
  await store.watchJob('01JOB');
  await store.activate('c-1', '01JOB', { version: 1, updatedAt: 'T' });
  await store.rearm('c-1', '01JOB');
  dynamo.on(UpdateCommand, { Key: { PK: 'SUB#01JOB', SK: 'CONN#c-1' } }).rejects(conditionFailed());
  // Refused: the subscription is read back.
  await store.activate('c-1', '01JOB', { version: 1, updatedAt: 'T' });
  await store.unsubscribe('c-1', { jobId: '01JOB' });
  await store.unsubscribeAll('c-1');
  await store.remove('c-1');

  const keys = touchedKeys();
  expect(new Set(keys.map(({ key }) => key))).toEqual(
    new Set(['CONN#c-1', 'SUB#01JOB', 'SUB#USER#user-1', 'JOB#01JOB', 'USERCONN#user-1']),
  );
  expect(keys).toContainEqual({ action: 'dynamodb:GetItem', key: 'SUB#01JOB' });
  expect(keys.filter((touched) => !granted(touched))).toEqual([]);
});

test('the grant is not wider than that: other keys and queries are refused', () => {
  expect(granted({ action: 'dynamodb:PutItem', key: 'JOB#01JOB' })).toBe(false);
  expect(granted({ action: 'dynamodb:DeleteItem', key: 'JOB#01JOB' })).toBe(false);
  expect(granted({ action: 'dynamodb:UpdateItem', key: 'JOB#01JOB' })).toBe(true);
  expect(granted({ action: 'dynamodb:UpdateItem', key: 'RATE#user-1' })).toBe(false);
  expect(granted({ action: 'dynamodb:Query', key: 'SUB#01JOB' })).toBe(false);
  expect(granted({ action: 'dynamodb:GetItem', key: 'IDEM#user-1#k' })).toBe(false);
});
