import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, NOW } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW_SECONDS = NOW.getTime() / 1000;

beforeEach(() => {
  dynamo.reset();
  dynamo.onAnyCommand().resolves({});
});

const list = (query?: Record<string, string>, options: { user?: string; groups?: string } = {}) =>
  route(httpEvent('GET /v1/notifications', '/v1/notifications', { query, ...options }), apiDependencies());

const submitNotify = (payload: Record<string, unknown>, options: { user?: string; groups?: string } = {}) =>
  route(
    httpEvent('POST /v1/jobs', '/v1/jobs', { body: { type: 'user.notify', payload }, ...options }),
    apiDependencies(),
  );

const queries = () => dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
const noteItem = (id: string, at: string, fields: Record<string, unknown> = {}) => ({
  PK: 'NOTE#user-1',
  SK: `${at}#${id}`,
  id,
  at,
  level: 'info',
  title: `title ${id}`,
  message: `message ${id}`,
  expiresAt: NOW_SECONDS + 3600,
  ...fields,
});

describe('GET /v1/notifications', () => {
  test("answers the caller's own notifications newest first, in the contract's fields only", async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        noteItem('01JD0000000000000000000002', '2026-11-23T10:02:00.000Z', { link: 'https://example.com/a' }),
        noteItem('01JD0000000000000000000001', '2026-11-23T10:01:00.000Z', { level: 'error' }),
      ],
    });
    const result = await list();
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({
      notifications: [
        {
          id: '01JD0000000000000000000002',
          at: '2026-11-23T10:02:00.000Z',
          level: 'info',
          title: 'title 01JD0000000000000000000002',
          message: 'message 01JD0000000000000000000002',
          link: 'https://example.com/a',
        },
        {
          id: '01JD0000000000000000000001',
          at: '2026-11-23T10:01:00.000Z',
          level: 'error',
          title: 'title 01JD0000000000000000000001',
          message: 'message 01JD0000000000000000000001',
        },
      ],
    });
    // One query of the caller's partition, newest first, the last 50 by default.
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'NOTE#user-1' },
        ScanIndexForward: false,
        Limit: 50,
      },
    ]);
  });

  test('reads only the caller’s partition, an admin’s too: nobody lists another user’s notifications', async () => {
    await list(undefined, { user: 'user-2' });
    await list({ limit: '5' }, { user: 'root', groups: '[admin]' });
    expect(queries().map((input) => [input.ExpressionAttributeValues?.[':pk'], input.Limit])).toEqual([
      ['NOTE#user-2', 50],
      ['NOTE#root', 5],
    ]);
  });

  test('a notification past its expiry that the TTL has not removed yet is not shown', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        noteItem('01JD0000000000000000000002', '2026-11-23T10:02:00.000Z'),
        noteItem('01JD0000000000000000000001', '2026-10-23T10:01:00.000Z', { expiresAt: NOW_SECONDS - 1 }),
      ],
    });
    const body = parse((await list()).body);
    expect(body.notifications.map((note: { id: string }) => note.id)).toEqual(['01JD0000000000000000000002']);
  });

  test.each([['1'], ['50']])('limit %s is asked of the table as is', async (limit) => {
    expect((await list({ limit })).statusCode).toBe(200);
    expect(queries()[0]?.Limit).toBe(Number(limit));
  });

  test.each([['0'], ['51'], ['-1'], ['2.5'], ['ten'], ['']])(
    'limit %p is 400 VALIDATION_ERROR naming limit, and nothing is read',
    async (limit) => {
      const result = await list({ limit });
      expect(result.statusCode).toBe(400);
      expect(parse(result.body).error).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { fields: [expect.objectContaining({ field: 'limit' })] },
      });
      expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
    },
  );

  test('an unknown query parameter is 400 naming it', async () => {
    const result = await list({ userId: 'user-2' });
    expect(result.statusCode).toBe(400);
    expect(parse(result.body).error.details.fields).toEqual([
      { field: 'userId', message: 'is not a known field' },
    ]);
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });
});

describe('submitting user.notify', () => {
  const note = { level: 'info', title: 'Done', message: 'Your export is ready.' };
  const savedJobs = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);

  test('a user notifying themselves (no userId, or their own) is accepted at high priority', async () => {
    for (const payload of [note, { ...note, userId: 'user-1' }]) {
      const result = await submitNotify(payload);
      expect(result.statusCode).toBe(202);
      expect(parse(result.body)).toMatchObject({ type: 'user.notify', priority: 'high', maxAttempts: 3 });
    }
  });

  test("a user naming another user is 403 FORBIDDEN in the contract's shape, and nothing is saved", async () => {
    const result = await submitNotify({ ...note, userId: 'user-2' });
    expect(result.statusCode).toBe(403);
    expect(parse(result.body)).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: 'Users may notify only themselves; admins may notify anyone.',
        details: { rule: 'notifyOthers' },
      },
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('an admin may notify another user; the job records that an admin submitted it', async () => {
    const result = await submitNotify({ ...note, userId: 'user-2' }, { user: 'root', groups: '[admin]' });
    expect(result.statusCode).toBe(202);
    expect(savedJobs()[0]).toMatchObject({
      userId: 'root',
      submittedByAdmin: true,
      payload: { userId: 'user-2' },
    });
  });

  test('a javascript: link is 400 naming payload.link, for admins too', async () => {
    const result = await submitNotify(
      { ...note, userId: 'user-2', link: 'javascript:alert(document.cookie)' },
      { user: 'root', groups: '[admin]' },
    );
    expect(result.statusCode).toBe(400);
    expect(parse(result.body).error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { fields: [expect.objectContaining({ field: 'payload.link' })] },
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });
});
