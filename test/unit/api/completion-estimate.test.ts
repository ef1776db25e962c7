import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ASSUMED_ITEMS_PER_JOB,
  CompletionEstimator,
  DEFAULT_ITEM_MS,
  DEFAULT_JOB_MS,
  estimateCompletion,
  historyOf,
} from '../../../lambdas/api/completion-estimate';
import type { ApiDependencies } from '../../../lambdas/api/dependencies';
import { route } from '../../../lambdas/api/handler';
import type { CounterRow } from '../../../lambdas/core/stats-store';
import { apiDependencies, NOW } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const row = (fields: Partial<CounterRow>): CounterRow => ({
  day: '2026-11-23',
  scope: 'USER#u',
  type: 'resume.analyze',
  priority: 'normal',
  submitted: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  totalDurationMs: 0,
  durationCount: 0,
  ...fields,
});

describe('estimateCompletion', () => {
  const start = new Date('2026-11-23T10:00:00.000Z');
  const elapsed = (date: Date) => date.getTime() - start.getTime();

  test('no history, empty queue: items × the default per item', () => {
    expect(elapsed(estimateCompletion(start, { items: 3, waiting: 0, concurrency: 10 }))).toBe(
      3 * DEFAULT_ITEM_MS,
    );
  });

  test('with history: items × the recent average per item', () => {
    expect(
      elapsed(estimateCompletion(start, { items: 20, averageItemMs: 150, waiting: 0, concurrency: 10 })),
    ).toBe(3_000);
  });

  test('with depth: waiting × average job duration / concurrency comes first', () => {
    const at = estimateCompletion(start, {
      items: 4,
      averageItemMs: 100,
      averageJobMs: 2_000,
      waiting: 50,
      concurrency: 10,
    });
    expect(elapsed(at)).toBe((50 * 2_000) / 10 + 4 * 100);
    // No history for the queue: the default job duration.
    expect(
      elapsed(estimateCompletion(start, { items: 1, averageItemMs: 0, waiting: 5, concurrency: 5 })),
    ).toBe(DEFAULT_JOB_MS);
  });
});

describe('historyOf', () => {
  test('per item from the type’s average job duration, per job from its queue’s', () => {
    const rows = [
      row({ totalDurationMs: 30_000, durationCount: 2 }),
      row({ scope: 'USER#v', totalDurationMs: 10_000, durationCount: 2 }),
      row({ type: 'system.simulate', totalDurationMs: 1_000, durationCount: 4 }),
      row({ type: 'resume.extract', priority: 'high', totalDurationMs: 99_000, durationCount: 1 }),
    ];
    expect(historyOf(rows, 'resume.analyze', 'normal')).toEqual({
      averageItemMs: 10_000 / ASSUMED_ITEMS_PER_JOB,
      averageJobMs: 41_000 / 8,
    });
  });

  test('no durations: no history', () => {
    expect(historyOf([row({ submitted: 3 })], 'resume.analyze', 'normal')).toEqual({});
  });
});

const statsItem = (fields: Partial<CounterRow>) => {
  const full = row(fields);
  return { PK: `STATS#${full.day}`, SK: `${full.scope}#${full.type}#${full.priority}`, ...full };
};

/** An SQS client answering depth reads with `waiting` and accepting every send. */
const fakeSqs = (waiting: number) => {
  const calls: string[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetQueueAttributesCommand) {
        calls.push(`depth:${command.input.QueueUrl}`);
        return { Attributes: { ApproximateNumberOfMessages: String(waiting) } };
      }
      if (command instanceof SendMessageBatchCommand) return { Successful: [], Failed: [] };
      throw new Error('unexpected SQS command');
    },
  };
  return { client: client as unknown as SQSClient, calls };
};

const analyzeJob = (items: number, fields: Record<string, unknown> = {}) => ({
  jobId: '01JD000000000000000000EST0',
  userId: 'user-1',
  type: 'resume.analyze',
  status: 'queued' as const,
  priority: 'normal' as const,
  priorityValue: 10,
  payload: {
    resumes: Array.from({ length: items }, (_, index) => ({ text: `cv ${index}` })),
    jobDescription: { id: 'jd', title: 'T', text: 'x' },
  },
  attempts: 0,
  maxAttempts: 3,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  events: [],
  version: 1,
  ...fields,
});

describe('CompletionEstimator', () => {
  let clock: Date;
  const estimator = (waiting: number) => {
    const sqs = fakeSqs(waiting);
    const deps: ApiDependencies = { ...apiDependencies(), sqs: sqs.client, clock: () => clock };
    return { estimator: new CompletionEstimator(deps), sqs };
  };
  beforeEach(() => {
    clock = NOW;
  });

  test('bulk jobs get history × items + depth; other jobs are left alone; reads are cached', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [statsItem({ totalDurationMs: 40_000, durationCount: 2 })] });
    const { estimator: subject, sqs } = estimator(30);
    const simulate = { ...analyzeJob(1), jobId: 'other', type: 'system.simulate', payload: {} };
    const [bulk, other] = await subject.annotate([analyzeJob(5), simulate]);
    // 20 s per job → 2 s per item; 30 waiting × 20 s / 10 workers.
    const expected = NOW.getTime() + (30 * 20_000) / 10 + 5 * 2_000;
    expect(bulk?.estimatedCompletionAt).toBe(new Date(expected).toISOString());
    expect(other).not.toHaveProperty('estimatedCompletionAt');
    expect(sqs.calls).toEqual(['depth:n']);

    clock = new Date(NOW.getTime() + 5_000);
    await subject.annotate([analyzeJob(1)]);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(1);
    expect(sqs.calls).toHaveLength(1);
    // The Query is eventually consistent (the cheap kind).
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.ConsistentRead).toBeFalsy();

    clock = new Date(NOW.getTime() + 61_000);
    await subject.annotate([analyzeJob(1)]);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(2);
    expect(sqs.calls).toHaveLength(2);
  });

  test('no history today: yesterday’s final rollup; none at all: the defaults', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    const [job] = await estimator(0).estimator.annotate([analyzeJob(4)]);
    expect(job?.estimatedCompletionAt).toBe(new Date(NOW.getTime() + 4 * DEFAULT_ITEM_MS).toISOString());
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
      PK: 'ROLLUP#2026-11-22',
      SK: 'DAY#ALL',
    });
  });

  test('a failed read gives the defaults, not a failed submission', async () => {
    dynamo.on(QueryCommand).rejects(new Error('throttled'));
    dynamo.on(GetCommand).rejects(new Error('throttled'));
    const [job] = await estimator(0).estimator.annotate([analyzeJob(2)]);
    expect(job?.estimatedCompletionAt).toBe(new Date(NOW.getTime() + 2 * DEFAULT_ITEM_MS).toISOString());
  });

  test('a delayed job starts counting at its runAt, with no queue ahead', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    const runAt = new Date(NOW.getTime() + 3_600_000);
    const { estimator: subject, sqs } = estimator(1_000);
    const [job] = await subject.annotate([analyzeJob(1, { status: 'delayed', runAt: runAt.toISOString() })]);
    expect(job?.estimatedCompletionAt).toBe(new Date(runAt.getTime() + DEFAULT_ITEM_MS).toISOString());
    expect(sqs.calls).toEqual([]);
  });
});

describe('submit answers', () => {
  const deps = (waiting: number) => ({ ...apiDependencies(), sqs: fakeSqs(waiting).client });
  const body = {
    type: 'resume.analyze',
    payload: {
      resumes: [{ text: 'a' }, { text: 'b' }],
      jobDescription: { id: 'jd', title: 'T', text: 'Kafka' },
    },
  };
  beforeEach(() => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
  });

  test('POST /v1/jobs: a bulk job answers and is stored with estimatedCompletionAt', async () => {
    const result = await route(httpEvent('POST /v1/jobs', '/v1/jobs', { body }), deps(10));
    expect(result.statusCode).toBe(202);
    const expected = new Date(NOW.getTime() + (10 * DEFAULT_JOB_MS) / 10 + 2 * DEFAULT_ITEM_MS).toISOString();
    expect(parse(result.body).estimatedCompletionAt).toBe(expected);
    const stored = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(stored.some((item) => item?.estimatedCompletionAt === expected)).toBe(true);
  });

  test('POST /v1/jobs/batch: bulk entries carry it, others do not', async () => {
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', {
        body: { jobs: [body, { type: 'system.simulate', payload: {} }] },
      }),
      deps(0),
    );
    expect(result.statusCode).toBe(202);
    const [bulk, other] = parse(result.body).jobs;
    expect(bulk.estimatedCompletionAt).toBe(new Date(NOW.getTime() + 2 * DEFAULT_ITEM_MS).toISOString());
    expect(other).not.toHaveProperty('estimatedCompletionAt');
  });
});
