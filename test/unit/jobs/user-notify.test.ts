import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { encodeTime } from 'ulidx';
import { ConnectionStore } from '../../../lambdas/core/connection-store';
import { NotificationStore } from '../../../lambdas/core/notification-store';
import { findJobType } from '../../../lambdas/jobs/registry';
import { deliverNotification, type UserNotifyDependencies } from '../../../lambdas/jobs/user-notify';
import {
  isSafeLink,
  type UserNotifyPayload,
  userNotifyPayloadSchema,
} from '../../../lambdas/jobs/user-notify-payload';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const NOW = new Date('2026-11-30T03:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
/** A job id submitted at 02:59:00.123 (the time in its ULID). */
const SUBMITTED_AT = '2026-11-30T02:59:00.123Z';
const JOB_ID = `${encodeTime(Date.parse(SUBMITTED_AT), 10)}0000000000000000`;

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const deps: UserNotifyDependencies = {
  connections: new ConnectionStore(client, 'jobs-test', () => NOW),
  notifications: new NotificationStore(client, 'jobs-test', () => NOW),
  management: new ApiGatewayManagementApiClient({
    region: 'eu-west-1',
    endpoint: 'https://ws.example.test/live',
  }),
};
const warnings: unknown[][] = [];
const logger = {
  debug() {},
  info() {},
  warn: (...args: unknown[]) => warnings.push(args),
  error() {},
};

const context = (payload: UserNotifyPayload, options: { userId?: string; attempt?: number } = {}) => ({
  jobId: JOB_ID,
  userId: options.userId ?? 'alice',
  payload,
  attempt: options.attempt ?? 1,
  maxAttempts: 3,
  idempotencyKey: `${JOB_ID}:${options.attempt ?? 1}`,
  signal: new AbortController().signal,
  progress: async () => {},
  logger,
});

const note: UserNotifyPayload = { level: 'success', title: 'Export ready', message: 'Your CSV is ready.' };

/** Open connections of `userId` as the USERCONN# partition holds them. */
const openConnections = (userId: string, ids: string[]) =>
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `USERCONN#${userId}` } }).resolves({
    Items: ids.map((id) => ({
      PK: `USERCONN#${userId}`,
      SK: `CONN#${id}`,
      connectionId: id,
      expiresAt: NOW_SECONDS + 600,
    })),
  });

const framesTo = () =>
  management.commandCalls(PostToConnectionCommand).map((call) => ({
    connectionId: call.args[0].input.ConnectionId,
    frame: JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
  }));
const puts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);

beforeEach(() => {
  dynamo.reset();
  management.reset();
  dynamo.onAnyCommand().resolves({});
  management.on(PostToConnectionCommand).resolves({});
  warnings.length = 0;
});

describe('the payload', () => {
  const parse = (payload: Record<string, unknown>) => userNotifyPayloadSchema.safeParse(payload);
  const failingFields = (payload: Record<string, unknown>) => {
    const parsed = parse(payload);
    return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.') || issue.code);
  };

  test('a complete payload parses as it is', () => {
    const payload = {
      ...note,
      userId: 'bob',
      level: 'warning',
      link: 'https://app.example.com/exports/42?x=1#top',
    };
    expect(parse(payload)).toEqual({ success: true, data: payload });
  });

  test.each([
    ['an unknown level', { level: 'critical' }, 'level'],
    ['no title', { title: undefined }, 'title'],
    ['an empty title', { title: '' }, 'title'],
    ['a blank title', { title: '   ' }, 'title'],
    ['a title over 200 characters', { title: 'x'.repeat(201) }, 'title'],
    ['a title with a line break', { title: 'a\nb' }, 'title'],
    ['a title with a right-to-left override', { title: 'invoice\u202Efdp.exe' }, 'title'],
    ['no message', { message: undefined }, 'message'],
    ['a message over 2000 characters', { message: 'x'.repeat(2001) }, 'message'],
    ['a message with a NUL', { message: 'a\u0000b' }, 'message'],
    ['a userId with a #', { userId: 'bob#1' }, 'userId'],
    ['an empty userId', { userId: '' }, 'userId'],
    ['an unknown field', { html: '<b>hi</b>' }, 'unrecognized_keys'],
  ])('%s fails, naming the field', (_name, change, field) => {
    expect(failingFields({ ...note, ...change })).toContain(field);
  });

  test('a message may span lines and hold tabs', () => {
    expect(parse({ ...note, message: 'line 1\nline 2\r\n\tindented' }).success).toBe(true);
  });

  test.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.com/file',
    '//evil.example/path',
    '/relative/path',
    'https:evil.example',
    'https:/\\evil.example',
    'https://\\evil.example',
    'https://bank.example@evil.example/login',
    'https://user:pass@example.com/',
    'https://exa mple.com/',
    'https://example.com/\u202Egpj.exe',
    'https://',
    `https://example.com/${'a'.repeat(2048)}`,
  ])('link %p is refused', (link) => {
    expect(failingFields({ ...note, link })).toEqual(['link']);
  });

  test.each(['https://example.com', 'http://localhost:3000/jobs/1', 'HTTPS://Example.com/a?b=c#d'])(
    'link %p is accepted',
    (link) => {
      expect(isSafeLink(link)).toBe(true);
      expect(parse({ ...note, link }).success).toBe(true);
    },
  );
});

describe('who may notify whom (checked at submission and again by the worker)', () => {
  const definition = findJobType('user.notify');
  const authorize = (payload: UserNotifyPayload, caller: { id: string; isAdmin: boolean }) => () =>
    definition?.authorize?.(payload, caller);

  test('is registered at high priority, 3 attempts, 10 s timeout', () => {
    expect(definition).toMatchObject({ defaultPriority: 'high', maxAttempts: 3, timeoutSeconds: 10 });
  });

  test('a user may notify themselves, with or without naming themselves', () => {
    expect(authorize(note, { id: 'alice', isAdmin: false })).not.toThrow();
    expect(authorize({ ...note, userId: 'alice' }, { id: 'alice', isAdmin: false })).not.toThrow();
  });

  test('a user naming another user is refused: 403 FORBIDDEN', () => {
    expect(authorize({ ...note, userId: 'bob' }, { id: 'alice', isAdmin: false })).toThrow(
      expect.objectContaining({ statusCode: 403, code: 'FORBIDDEN', details: { rule: 'notifyOthers' } }),
    );
  });

  test('an admin may notify anyone', () => {
    expect(authorize({ ...note, userId: 'bob' }, { id: 'root', isAdmin: true })).not.toThrow();
  });
});

describe('running user.notify', () => {
  test("stores the notification under the target's partition, keyed by its time and the job id, once and for 30 days", async () => {
    const result = await deliverNotification(context({ ...note, link: 'https://example.com/x' }), deps);
    expect(result).toEqual({ notificationId: JOB_ID, delivered: 0 });
    expect(puts()).toEqual([
      {
        TableName: 'jobs-test',
        Item: {
          PK: 'NOTE#alice',
          SK: `${SUBMITTED_AT}#${JOB_ID}`,
          id: JOB_ID,
          at: SUBMITTED_AT,
          level: 'success',
          title: 'Export ready',
          message: 'Your CSV is ready.',
          link: 'https://example.com/x',
          expiresAt: Math.floor(Date.parse(SUBMITTED_AT) / 1000) + 30 * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    ]);
  });

  test('pushes a user.notification frame to every open connection of the user, no subscription needed', async () => {
    openConnections('alice', ['c-1', 'c-2']);
    const result = await deliverNotification(context(note), deps);
    expect(result).toEqual({ notificationId: JOB_ID, delivered: 2 });
    const expected = {
      type: 'user.notification',
      notification: {
        id: JOB_ID,
        at: SUBMITTED_AT,
        level: 'success',
        title: 'Export ready',
        message: 'Your CSV is ready.',
      },
    };
    expect(framesTo()).toEqual([
      { connectionId: 'c-1', frame: expected },
      { connectionId: 'c-2', frame: expected },
    ]);
    // Nobody's subscriptions are read: the user's connections are.
    expect(
      dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues?.[':pk']),
    ).toEqual(['USERCONN#alice']);
  });

  test("an admin's notification goes to the named user's connections and list, not the admin's", async () => {
    openConnections('root', ['admin-c']);
    openConnections('bob', ['bob-c']);
    const result = await deliverNotification(context({ ...note, userId: 'bob' }, { userId: 'root' }), deps);
    expect(result.delivered).toBe(1);
    expect(framesTo().map((sent) => sent.connectionId)).toEqual(['bob-c']);
    expect(puts()[0]?.Item?.PK).toBe('NOTE#bob');
  });

  test('a gone connection (410) is forgotten with its subscriptions and user entry; the others still get the frame', async () => {
    openConnections('alice', ['c-1', 'gone', 'c-3']);
    management
      .on(PostToConnectionCommand, { ConnectionId: 'gone' })
      .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));
    dynamo.on(GetCommand, { Key: { PK: 'CONN#gone', SK: 'CONN' } }).resolves({
      Item: {
        PK: 'CONN#gone',
        SK: 'CONN',
        userId: 'alice',
        subscriptions: new Set(['SUB#USER#alice']),
        expiresAt: NOW_SECONDS + 600,
      },
    });
    const result = await deliverNotification(context(note), deps);
    expect(result).toEqual({ notificationId: JOB_ID, delivered: 2 });
    expect(framesTo().map((sent) => sent.connectionId)).toEqual(['c-1', 'gone', 'c-3']);
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: {
        'jobs-test': [
          { DeleteRequest: { Key: { PK: 'SUB#USER#alice', SK: 'CONN#gone' } } },
          { DeleteRequest: { Key: { PK: 'USERCONN#alice', SK: 'CONN#gone' } } },
        ],
      },
    });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { Key: { PK: 'CONN#gone', SK: 'CONN' } });
  });

  test('any other failed push is logged and skipped: the job still succeeds, the connection is kept', async () => {
    openConnections('alice', ['c-1', 'flaky']);
    management.on(PostToConnectionCommand, { ConnectionId: 'flaky' }).rejects(new Error('socket hang up'));
    const result = await deliverNotification(context(note), deps);
    expect(result).toEqual({ notificationId: JOB_ID, delivered: 1 });
    expect(warnings).toHaveLength(1);
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });

  test('a retried attempt writes the very same item, and finding it stored, pushes nothing again', async () => {
    openConnections('alice', ['c-1']);
    await deliverNotification(context(note, { attempt: 1 }), deps);
    dynamo.on(PutCommand).rejects(conditionFailed());
    const retried = await deliverNotification(context(note, { attempt: 2 }), deps);
    expect(retried).toEqual({ notificationId: JOB_ID, delivered: 0, duplicate: true });
    const [first, second] = puts();
    expect(second).toEqual(first);
    expect(management).toHaveReceivedCommandTimes(PostToConnectionCommand, 1);
  });

  test('a failure reading the connections stores nothing, so the retry still pushes', async () => {
    dynamo.on(QueryCommand).rejects(new Error('throttled'));
    await expect(deliverNotification(context(note), deps)).rejects.toThrow('throttled');
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });
});
