import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { closeServer } from '../../../local/net';
import { operationOf, type RequestMeter, startRequestMeter, unitsOf } from '../../../local/request-meter';
import { UsageLedger } from '../../../local/usage-ledger';

interface Seen {
  readonly path: string;
  readonly target?: string;
  readonly body: string;
}

/** An upstream that records what reached it and answers with whatever the test queued. */
const startUpstream = async () => {
  const seen: Seen[] = [];
  const answers: { status: number; body: unknown }[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        path: request.url ?? '',
        target: request.headers['x-amz-target'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = answers.shift() ?? { status: 200, body: {} };
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, answers, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('request meter', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let meter: RequestMeter;
  const ledger = new UsageLedger();

  beforeAll(async () => {
    upstream = await startUpstream();
    meter = await startRequestMeter({ ledger, upstreams: { dynamodb: upstream.url, sqs: upstream.url } });
  });
  afterAll(async () => {
    await closeServer(meter.server);
    await closeServer(upstream.server);
  });
  beforeEach(() => {
    ledger.reset();
    upstream.seen.length = 0;
  });

  it('books a write to its caller with the units DynamoDB reported, per index, after asking for them', async () => {
    upstream.answers.push({
      status: 200,
      body: {
        ConsumedCapacity: {
          TableName: 'jobs',
          CapacityUnits: 3,
          Table: { CapacityUnits: 1 },
          GlobalSecondaryIndexes: { GSI1: { CapacityUnits: 2 } },
        },
      },
    });
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials,
      endpoint: meter.endpointFor('WorkerNormal', 'dynamodb'),
    });
    await client.send(new PutItemCommand({ TableName: 'jobs', Item: { PK: { S: 'JOB#1' } } }));

    expect(upstream.seen).toHaveLength(1);
    expect(upstream.seen[0]?.path).toBe('/');
    expect(JSON.parse(upstream.seen[0]?.body ?? '{}').ReturnConsumedCapacity).toBe('INDEXES');
    expect(ledger.snapshot()).toEqual([
      expect.objectContaining({
        caller: 'WorkerNormal',
        service: 'dynamodb',
        operation: 'PutItem',
        requests: 1,
        writeUnits: 3,
        readUnits: 0,
        writeUnitsBy: { table: 1, GSI1: 2 },
        errors: 0,
      }),
    ]);
  });

  it('books a refused conditional write as one write unit and an error', async () => {
    upstream.answers.push({
      status: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'no' },
    });
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials,
      endpoint: meter.endpointFor('Api', 'dynamodb'),
    });
    await expect(
      client.send(
        new UpdateItemCommand({
          TableName: 'jobs',
          Key: { PK: { S: 'JOB#1' } },
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': { S: 'x' } },
        }),
      ),
    ).rejects.toThrow();
    expect(ledger.snapshot()).toEqual([
      expect.objectContaining({
        caller: 'Api',
        operation: 'UpdateItem',
        requests: 1,
        writeUnits: 1,
        errors: 1,
      }),
    ]);
  });

  it('books an SQS request in 64 KB chunks of its payload', async () => {
    upstream.answers.push({ status: 200, body: { Successful: [], Failed: [] } });
    const client = new SQSClient({
      region: 'us-east-1',
      credentials,
      endpoint: meter.endpointFor('Dispatch', 'sqs'),
      useQueueUrlAsEndpoint: false,
    });
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: 'http://127.0.0.1/000000000000/q',
        Entries: [
          { Id: 'a', MessageBody: 'x'.repeat(40_000) },
          { Id: 'b', MessageBody: 'y'.repeat(40_000) },
        ],
      }),
    );
    expect(upstream.seen[0]?.target).toBe('AmazonSQS.SendMessageBatch');
    expect(ledger.snapshot()).toEqual([
      expect.objectContaining({
        caller: 'Dispatch',
        service: 'sqs',
        operation: 'SendMessageBatch',
        billedUnits: 2,
      }),
    ]);
  });

  it('answers 404 for a path that names no caller or no known service', async () => {
    const base = meter.endpointFor('x', 'sqs').replace(/\/m\/.*$/, '');
    expect((await fetch(`${base}/m/Api/nope/`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/other`, { method: 'POST' })).status).toBe(404);
    expect(ledger.snapshot()).toEqual([]);
  });
});

describe('operationOf', () => {
  const url = (path: string) => new URL(path, 'http://local');
  it.each([
    ['s3', 'PUT', '/bucket/key', 'PutObject'],
    ['s3', 'PUT', '/bucket/key?partNumber=1&uploadId=u', 'UploadPart'],
    ['s3', 'GET', '/bucket/key', 'GetObject'],
    ['s3', 'GET', '/bucket?list-type=2', 'ListObjectsV2'],
    ['s3', 'HEAD', '/bucket/key', 'HeadObject'],
    ['s3', 'DELETE', '/bucket/key', 'DeleteObject'],
    ['s3', 'POST', '/bucket?delete', 'DeleteObjects'],
    ['sesv2', 'POST', '/v2/email/outbound-emails', 'SendEmail'],
    ['lambda', 'PUT', '/2015-03-31/event-source-mappings/u', 'UpdateEventSourceMapping'],
    ['lambda', 'GET', '/2015-03-31/event-source-mappings/u', 'GetEventSourceMapping'],
    ['execute-api', 'POST', '/live/@connections/abc', 'PostToConnection'],
    ['execute-api', 'DELETE', '/live/@connections/abc', 'DeleteConnection'],
    ['execute-api', 'GET', '/live/@connections/abc', 'GetConnection'],
  ])('%s %s %s is %s', (service, method, path, operation) => {
    expect(operationOf(service, method, url(path))).toBe(operation);
  });

  it('takes the operation from the target header when there is one', () => {
    expect(operationOf('dynamodb', 'POST', url('/'), 'DynamoDB_20120810.TransactWriteItems')).toBe(
      'TransactWriteItems',
    );
  });
});

describe('unitsOf', () => {
  it('sums a transaction’s entries per table and index', () => {
    expect(
      unitsOf([
        {
          CapacityUnits: 4,
          Table: { CapacityUnits: 2 },
          GlobalSecondaryIndexes: { GSI1: { CapacityUnits: 2 } },
        },
        { CapacityUnits: 2, Table: { CapacityUnits: 2 } },
      ]),
    ).toEqual({ total: 6, by: { table: 4, GSI1: 2 } });
  });
  it('is zero when nothing was reported', () => {
    expect(unitsOf(undefined)).toEqual({ total: 0, by: {} });
  });
});

describe('request meter, reads', () => {
  it('books an empty query at the half unit DynamoDB bills at least', async () => {
    const upstream = await startUpstream();
    const ledger = new UsageLedger();
    const meter = await startRequestMeter({ ledger, upstreams: { dynamodb: upstream.url } });
    try {
      upstream.answers.push({ status: 200, body: { Items: [], Count: 0 } });
      upstream.answers.push({ status: 200, body: { Items: [], Count: 0 } });
      const client = new DynamoDBClient({
        region: 'us-east-1',
        credentials,
        endpoint: meter.endpointFor('Notify', 'dynamodb'),
      });
      const query = (consistent: boolean) =>
        new QueryCommand({
          TableName: 'jobs',
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'SUB#1' } },
          ConsistentRead: consistent,
        });
      await client.send(query(false));
      await client.send(query(true));
      expect(ledger.snapshot()).toEqual([
        expect.objectContaining({ caller: 'Notify', operation: 'Query', requests: 2, readUnits: 1.5 }),
      ]);
    } finally {
      await closeServer(meter.server);
      await closeServer(upstream.server);
    }
  });
});
