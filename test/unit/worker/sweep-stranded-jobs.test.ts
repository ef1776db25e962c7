import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { JobQueueClient } from '../../../lambdas/core/job-queue-client';
import { JobStore } from '../../../lambdas/core/job-store';
import { isStranded, sweepStrandedJobs } from '../../../lambdas/worker/sweep-stranded-jobs';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const QUEUE_URLS = { critical: 'q-critical', high: 'q-high', normal: 'q-normal', low: 'q-low' };

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const deps = {
  store: new JobStore(documentClient, 'jobs-test', undefined, () => NOW),
  queue: new JobQueueClient(new SQSClient({ region: 'eu-west-1' }), QUEUE_URLS, () => NOW),
  clock: () => NOW,
};
const OPTIONS = { strandedAfterMs: 15 * 60_000, candidatesPerPartition: 25 };

type Item = Record<string, unknown>;
const job = (jobId: string, fields: Item = {}): Item => ({
  PK: `JOB#${jobId}`,
  SK: 'JOB',
  jobId,
  userId: 'user-1',
  type: 'system.simulate',
  status: 'delayed',
  priority: 'normal',
  priorityValue: 5,
  payload: {},
  attempts: 0,
  maxAttempts: 3,
  createdAt: minutesAgo(60),
  updatedAt: minutesAgo(60),
  events: [],
  version: 1,
  ...fields,
});

/** The table: job items by id, and which status-index partition lists which ids. */
let items: Map<string, Item>;
let index: Map<string, string[]>;
const queries: QueryCommandInput[] = [];

const put = (item: Item, partition = `STATUS#${item.status}#0`) => {
  items.set(String(item.jobId), item);
  index.set(partition, [...(index.get(partition) ?? []), String(item.PK)]);
};

const sent = () =>
  sqs.commandCalls(SendMessageBatchCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      queue: call.args[0].input.QueueUrl,
      body: JSON.parse(entry.MessageBody ?? ''),
    })),
  );
const markers = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  items = new Map();
  index = new Map();
  queries.length = 0;
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    queries.push(input);
    const pks = index.get(String(input.ExpressionAttributeValues?.[':pk'])) ?? [];
    return { Items: pks.slice(0, input.Limit).map((PK) => ({ PK })) };
  });
  dynamo.on(GetCommand).callsFake((input: GetCommandInput) => ({
    Item: items.get(String(input.Key?.PK).slice('JOB#'.length)),
  }));
  dynamo.on(UpdateCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
});

test('a delayed job waiting far past when it became due gets its message again, and the re-send is noted', async () => {
  put(job('J1', { updatedAt: minutesAgo(20) }));
  const summary = await sweepStrandedJobs(deps, OPTIONS);
  expect(sent()).toEqual([{ queue: 'q-normal', body: { jobId: 'J1', attempt: 1, type: 'system.simulate' } }]);
  expect(summary).toEqual({ examined: 1, resent: 1 });
  expect(markers()).toHaveLength(1);
  expect(markers()[0]).toMatchObject({
    Key: { PK: 'JOB#J1', SK: 'JOB' },
    UpdateExpression: 'SET #redispatch = :marker',
    ExpressionAttributeValues: {
      ':marker': { since: minutesAgo(20), at: NOW.toISOString(), count: 1 },
      ':status': 'delayed',
      ':attempts': 0,
      ':since': minutesAgo(20),
    },
  });
});

test('the re-send note is not a change of the job: no event, no version, no updatedAt', async () => {
  put(job('J1', { updatedAt: minutesAgo(20) }));
  await sweepStrandedJobs(deps, OPTIONS);
  const update = markers()[0];
  expect(Object.values(update?.ExpressionAttributeNames ?? {})).not.toEqual(
    expect.arrayContaining(['events']),
  );
  expect(update?.UpdateExpression).not.toMatch(/version|events|updatedAt =/);
});

test.each([
  [
    'retrying',
    { status: 'retrying', attempts: 1, runAt: minutesAgo(30) },
    { attempt: 2, runAt: minutesAgo(30) },
  ],
  ['delayed', { status: 'delayed', runAt: minutesAgo(30) }, { attempt: 1, runAt: minutesAgo(30) }],
])(
  'a %s job long past its runAt gets the dispatcher’s message for its next attempt',
  async (_name, fields, body) => {
    put(job('J1', { ...fields, updatedAt: minutesAgo(40) }));
    await sweepStrandedJobs(deps, OPTIONS);
    expect(sent()).toEqual([{ queue: 'q-normal', body: { jobId: 'J1', ...body, type: 'system.simulate' } }]);
  },
);

test('reads every shard of each waiting status the sparse status index holds, bounded, before the cut-off', async () => {
  await sweepStrandedJobs(deps, OPTIONS);
  const partitions = queries.map((query) => query.ExpressionAttributeValues?.[':pk']);
  for (const status of ['delayed', 'retrying']) {
    for (let shard = 0; shard < 8; shard += 1) expect(partitions).toContain(`STATUS#${status}#${shard}`);
  }
  // Queued jobs never enter the index (every job is queued once): nothing to read there.
  expect(partitions.filter((partition) => String(partition).startsWith('STATUS#queued'))).toEqual([]);
  expect(partitions).toHaveLength(16);
  for (const query of queries) {
    expect(query).toMatchObject({
      IndexName: 'StatusJobs',
      KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK < :before',
      Limit: 25,
      ExpressionAttributeValues: { ':before': minutesAgo(15) },
    });
  }
});

test.each([
  ['due only 10 minutes ago', job('J1', { updatedAt: minutesAgo(10) })],
  ['a retry not due for another 5 minutes', job('J1', { status: 'retrying', runAt: minutesAgo(-5) })],
  ['processing (the index entry was stale)', job('J1', { status: 'processing', updatedAt: minutesAgo(60) })],
  ['completed', job('J1', { status: 'completed' })],
])('a job %s is left alone', async (_name, item) => {
  put(item, 'STATUS#delayed#0');
  const summary = await sweepStrandedJobs(deps, OPTIONS);
  expect(sent()).toEqual([]);
  expect(markers()).toEqual([]);
  expect(summary.resent).toBe(0);
});

test('a job gone from the table is skipped', async () => {
  index.set('STATUS#delayed#0', ['JOB#GONE']);
  await expect(sweepStrandedJobs(deps, OPTIONS)).resolves.toEqual({ examined: 1, resent: 0 });
  expect(sent()).toEqual([]);
});

test('after a re-send, the next one waits twice as long each time', async () => {
  const since = minutesAgo(120);
  const waitingJob = (marker: Item) => job('J1', { updatedAt: since, redispatch: { since, ...marker } });
  // Re-sent once 20 minutes ago: the next gap is 30 minutes.
  expect(isStranded(waitingJob({ at: minutesAgo(20), count: 1 }) as never, NOW, OPTIONS)).toBe(false);
  expect(isStranded(waitingJob({ at: minutesAgo(30), count: 1 }) as never, NOW, OPTIONS)).toBe(true);
  // Re-sent twice: 60 minutes.
  expect(isStranded(waitingJob({ at: minutesAgo(45), count: 2 }) as never, NOW, OPTIONS)).toBe(false);
  expect(isStranded(waitingJob({ at: minutesAgo(60), count: 2 }) as never, NOW, OPTIONS)).toBe(true);

  put(waitingJob({ at: minutesAgo(61), count: 2 }));
  await sweepStrandedJobs(deps, OPTIONS);
  expect(markers()[0]?.ExpressionAttributeValues?.[':marker']).toEqual({
    since,
    at: NOW.toISOString(),
    count: 3,
  });
});

test('a note from an earlier wait (the job changed since) does not hold back a re-send', async () => {
  put(
    job('J1', {
      updatedAt: minutesAgo(20),
      redispatch: { since: minutesAgo(500), at: minutesAgo(1), count: 9 },
    }),
  );
  await sweepStrandedJobs(deps, OPTIONS);
  expect(sent()).toHaveLength(1);
  expect(markers()[0]?.ExpressionAttributeValues?.[':marker']).toMatchObject({ count: 1 });
});

test('when SQS refuses, nothing is noted, so the next sweep tries again', async () => {
  put(job('J1', { updatedAt: minutesAgo(20) }));
  sqs.on(SendMessageBatchCommand).rejects(new Error('SQS unavailable'));
  await expect(sweepStrandedJobs(deps, OPTIONS)).resolves.toEqual({ examined: 1, resent: 0 });
  expect(markers()).toEqual([]);
});

test('a job that moved on between the read and the note is not an error', async () => {
  put(job('J1', { updatedAt: minutesAgo(20) }));
  dynamo.on(UpdateCommand).rejects(conditionFailed());
  await expect(sweepStrandedJobs(deps, OPTIONS)).resolves.toEqual({ examined: 1, resent: 1 });
});
