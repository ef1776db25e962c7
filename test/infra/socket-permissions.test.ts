import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { logicalId, synth } from './synth';

/**
 * Least privilege where the internet reaches: the WebSocket handler may touch only its
 * connection and subscription items (and read the jobs it checks), the authorizer no
 * table item at all. The last test runs every socket route against a recording client
 * and checks each table call against the synthesized policy, so the policy and the code
 * cannot drift apart (the local cloud ignores IAM and would not notice).
 */
const { template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

const statementsOf = (pattern: RegExp): Statement[] => {
  const fn = logicalId(template, 'AWS::Lambda::Function', pattern);
  const role = resources[fn]?.Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => policy.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
};

const dynamoStatements = (pattern: RegExp) =>
  statementsOf(pattern).filter((statement) =>
    [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
  );

const HANDLER = /^ProgressHandler[0-9A-F]{8}$/;
const AUTHORIZER = /^ProgressAuthorizer[0-9A-F]{8}$/;

const leadingKeyPatterns = (statement: Statement): string[] =>
  [statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []].flat();

/** IAM's StringLike: `*` any run of characters, `?` one character. */
const matchesLike = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  ).test(value);

describe('WebSocket handler and authorizer table permissions', () => {
  test('the authorizer gets no DynamoDB action at all', () => {
    expect(dynamoStatements(AUTHORIZER)).toEqual([]);
  });

  test('the handler reads only connection, job and subscription items (GetItem), never queries or indexes', () => {
    const reads = dynamoStatements(HANDLER).filter((statement) =>
      [statement.Action].flat().includes('dynamodb:GetItem'),
    );
    expect(reads).toHaveLength(1);
    expect([reads[0]?.Action].flat()).toEqual(['dynamodb:GetItem']);
    expect(leadingKeyPatterns(reads[0] as Statement).sort()).toEqual(['CONN#*', 'JOB#*', 'SUB#*']);
    const all = dynamoStatements(HANDLER).flatMap((statement) => [statement.Action].flat());
    for (const forbidden of ['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem']) {
      expect(all).not.toContain(forbidden);
    }
    expect(JSON.stringify(dynamoStatements(HANDLER).map((statement) => statement.Resource))).not.toContain(
      '/index/',
    );
  });

  test("the handler writes connection and subscription items and its users' connection entries, and only updates jobs (the watched flag)", () => {
    const writes = dynamoStatements(HANDLER).filter((statement) =>
      [statement.Action].flat().includes('dynamodb:PutItem'),
    );
    const jobWrites = dynamoStatements(HANDLER).filter((statement) =>
      leadingKeyPatterns(statement).includes('JOB#*'),
    );
    expect(jobWrites.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    const jobUpdate = jobWrites.find((statement) =>
      [statement.Action].flat().includes('dynamodb:UpdateItem'),
    ) as Statement;
    expect(leadingKeyPatterns(jobUpdate)).toEqual(['JOB#*']);
    expect(writes).toHaveLength(1);
    expect([writes[0]?.Action].flat().sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(leadingKeyPatterns(writes[0] as Statement).sort()).toEqual(['CONN#*', 'SUB#*', 'USERCONN#*']);
  });

  test('every DynamoDB statement of the handler is bounded by dynamodb:LeadingKeys', () => {
    const statements = dynamoStatements(HANDLER);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(leadingKeyPatterns(statement).length).toBeGreaterThan(0);
  });

  describe('every table call of every socket route is inside the granted statements', () => {
    const JOB_ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
    const dynamo = mockClient(DynamoDBDocumentClient);
    const management = mockClient(ApiGatewayManagementApiClient);
    let handleSocketEvent: (event: any) => Promise<unknown>;

    beforeAll(async () => {
      Object.assign(process.env, {
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TABLE_NAME: 'jobs-test',
        WEBSOCKET_CALLBACK_URL: 'https://ws.example.test/live',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_TRACE_ENABLED: 'false',
      });
      ({ handleSocketEvent } = await import('../../lambdas/socket/handler'));
    });

    beforeEach(() => {
      dynamo.reset();
      management.reset();
      management.on(PostToConnectionCommand).resolves({});
      dynamo.onAnyCommand().resolves({});
      dynamo.on(GetCommand, { Key: { PK: 'CONN#c-1', SK: 'CONN' } }).resolves({
        Item: {
          connectionId: 'c-1',
          userId: 'user-1',
          isAdmin: false,
          subscriptions: new Set([`SUB#${JOB_ID}`, 'SUB#USER#user-1']),
        },
      });
      dynamo.on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves({ Item: job });
      // The watched flag's write hands back the job, which is the snapshot.
      dynamo.on(UpdateCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves({
        Attributes: { ...job, watched: true },
      });
    });

    const job = {
      jobId: JOB_ID,
      userId: 'user-1',
      type: 'system.simulate',
      status: 'queued',
      priority: 'normal',
      priorityValue: 5,
      payload: {},
      attempts: 0,
      maxAttempts: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      events: [],
      version: 1,
    };

    /** Each table call as (IAM action, partition keys it names). */
    const tableCalls = (): { action: string; keys: string[] }[] =>
      dynamo.calls().map((call) => {
        const command = call.args[0] as { constructor: { name: string }; input: any };
        const input = command.input;
        if (command instanceof GetCommand) return { action: 'dynamodb:GetItem', keys: [input.Key.PK] };
        if (command instanceof PutCommand) return { action: 'dynamodb:PutItem', keys: [input.Item.PK] };
        if (command instanceof UpdateCommand) return { action: 'dynamodb:UpdateItem', keys: [input.Key.PK] };
        if (command instanceof DeleteCommand) return { action: 'dynamodb:DeleteItem', keys: [input.Key.PK] };
        if (command instanceof BatchWriteCommand) {
          const requests = Object.values(input.RequestItems).flat() as {
            DeleteRequest?: { Key: { PK: string } };
            PutRequest?: { Item: { PK: string } };
          }[];
          return {
            action: 'dynamodb:BatchWriteItem',
            keys: requests.map((request) => request.DeleteRequest?.Key.PK ?? request.PutRequest?.Item.PK),
          };
        }
        return { action: `unexpected ${command.constructor.name}`, keys: [] };
      });

    const allowed = ({ action, keys }: { action: string; keys: string[] }) =>
      dynamoStatements(HANDLER).some(
        (statement) =>
          statement.Effect === 'Allow' &&
          [statement.Action].flat().includes(action) &&
          keys.every((key) => leadingKeyPatterns(statement).some((pattern) => matchesLike(pattern, key))),
      );

    const event = (routeKey: string, body?: unknown) => ({
      requestContext: {
        routeKey,
        connectionId: 'c-1',
        authorizer: { userId: 'user-1', isAdmin: 'false' },
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

    test.each([
      ['$connect', event('$connect')],
      ['subscribe to a job', event('subscribe', { action: 'subscribe', jobId: JOB_ID })],
      ['subscribe to all own jobs', event('subscribe', { action: 'subscribe' })],
      ['unsubscribe from a job', event('unsubscribe', { action: 'unsubscribe', jobId: JOB_ID })],
      ['unsubscribe from everything', event('unsubscribe', { action: 'unsubscribe' })],
      ['ping', event('ping', { action: 'ping' })],
      ['$default', event('$default', { action: 'dance' })],
      ['$disconnect', event('$disconnect')],
    ])('%s', async (_name, socketEvent) => {
      await expect(handleSocketEvent(socketEvent)).resolves.toEqual({ statusCode: 200 });
      const denied = tableCalls().filter((call) => !allowed(call));
      expect(denied).toEqual([]);
    });

    test('a subscription whose activation is refused (a change was missed) stays inside them too', async () => {
      dynamo
        .on(UpdateCommand, {
          Key: { PK: `SUB#${JOB_ID}`, SK: 'CONN#c-1' },
          UpdateExpression: 'SET fromVersion = :version, fromUpdatedAt = :updatedAt REMOVE pending, missed',
        })
        .rejects(
          new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
        );
      dynamo.on(GetCommand, { Key: { PK: `SUB#${JOB_ID}`, SK: 'CONN#c-1' } }).resolves({
        Item: { connectionId: 'c-1', pending: true, missed: true },
      });
      await handleSocketEvent(event('subscribe', { action: 'subscribe', jobId: JOB_ID }));
      const calls = tableCalls();
      expect(calls).toContainEqual({ action: 'dynamodb:GetItem', keys: [`SUB#${JOB_ID}`] });
      expect(calls.filter((call) => !allowed(call))).toEqual([]);
    });

    test('the check itself refuses a call outside the prefixes', () => {
      expect(allowed({ action: 'dynamodb:PutItem', keys: ['JOB#x'] })).toBe(false);
      expect(allowed({ action: 'dynamodb:DeleteItem', keys: ['JOB#x'] })).toBe(false);
      expect(allowed({ action: 'dynamodb:Query', keys: ['SUB#x'] })).toBe(false);
      expect(allowed({ action: 'dynamodb:BatchWriteItem', keys: ['SUB#x', 'RATE#u'] })).toBe(false);
    });

    test('the routes that write did make table writes (the check saw real calls)', async () => {
      await handleSocketEvent(event('subscribe', { action: 'subscribe', jobId: JOB_ID }));
      await handleSocketEvent(event('$disconnect'));
      const actions = new Set(tableCalls().map((call) => call.action));
      expect([...actions].sort()).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
    });
  });
});
