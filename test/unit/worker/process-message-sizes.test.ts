import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as z from 'zod';
import { payloadKey, resultKey } from '../../../lambdas/core/claim-check';
import { estimateItemBytes, ITEM_SIZE_BUDGET_BYTES } from '../../../lambdas/core/item-size';
import { defineJobType, type JobHandler, type JobTypeDefinition } from '../../../lambdas/jobs/job-type';
import { processJobMessage } from '../../../lambdas/worker/process-message';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { JobTableFake } from '../support/job-table-fake';
import { BucketFake } from '../support/s3-objects';
import { workerDependencies } from '../support/worker-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const budget = { remainingMs: () => 60_000 };
const KB = 1024;

let handler: JobHandler<Record<string, unknown>>;
const simulateType: JobTypeDefinition = defineJobType({
  name: 'system.simulate',
  defaultPriority: 'normal',
  maxAttempts: 3,
  timeoutSeconds: 30,
  backoff: { baseSeconds: 2, maxSeconds: 60 },
  schema: z.record(z.string(), z.unknown()),
  load: async () => handler as JobHandler<unknown>,
});
const dependencies = () =>
  workerDependencies((name) => (name === simulateType.name ? simulateType : undefined), {
    leaseTiming: { leaseMs: 30_000, renewEveryMs: 1000, minProgressIntervalMs: 0 },
  });

let bucket: BucketFake;
beforeEach(() => {
  dynamo.reset();
  s3.reset();
  bucket = new BucketFake(s3);
  // system.simulate's own contract: the payload's result is the job's result.
  handler = async ({ payload }) => payload.result ?? { simulated: true };
});

describe('the worker and large jobs', () => {
  test('the issue’s job completes: a 190 KB result beside a 190 KB payload and 60 KB metadata goes to S3', async () => {
    const result = 'r'.repeat(190 * KB);
    const table = new JobTableFake(
      dynamo,
      storedJob({ payload: { durationMs: 10, result }, metadata: { blob: 'm'.repeat(60 * KB) } }),
    );
    const outcome = await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget);
    expect(outcome).toBe('completed');
    expect(table.statuses).toEqual(['processing', 'completed']);
    expect(table.item).toMatchObject({ status: 'completed', resultRef: { key: resultKey(JOB_ID) } });
    expect(table.item).not.toHaveProperty('result');
    expect(bucket.json(resultKey(JOB_ID))).toBe(result);
    expect(estimateItemBytes(table.item ?? {})).toBeLessThan(ITEM_SIZE_BUDGET_BYTES);
  });

  test('when the result alone does not make room, the payload leaves the item in the same write', async () => {
    const payload = { result: 'r'.repeat(100 * KB), filler: 'f'.repeat(99 * KB) };
    const table = new JobTableFake(dynamo, storedJob({ payload, metadata: { blob: 'm'.repeat(160 * KB) } }));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('completed');
    const completion = table.updates.at(-1);
    const removed = Object.entries(completion?.ExpressionAttributeNames ?? {})
      .filter(
        ([placeholder]) => /^#r\d+$/.test(placeholder) && completion?.UpdateExpression?.includes(placeholder),
      )
      .map(([, attribute]) => attribute);
    expect(removed).toContain('payload');
    expect(table.item).toMatchObject({
      resultRef: { key: resultKey(JOB_ID) },
      payloadRef: { key: payloadKey(JOB_ID) },
    });
    expect(bucket.json(payloadKey(JOB_ID))).toEqual(payload);
  });

  test('a handler gets a payload kept in S3 as it was submitted', async () => {
    const payload = { durationMs: 10, text: 'p'.repeat(210 * KB) };
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify(payload));
    new JobTableFake(
      dynamo,
      storedJob({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 1 } }),
    );
    let seen: unknown;
    handler = async (context) => {
      seen = context.payload;
      return { ok: true };
    };
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('completed');
    expect(seen).toEqual(payload);
  });

  test('a payload whose object expired fails the job at once with PAYLOAD_EXPIRED, without running it', async () => {
    const table = new JobTableFake(
      dynamo,
      storedJob({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 1 } }),
    );
    const run = jest.fn(async () => ({ ok: true }));
    handler = run;
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('failed');
    expect(run).not.toHaveBeenCalled();
    expect(table.item).toMatchObject({
      status: 'failed',
      error: { code: 'PAYLOAD_EXPIRED', retryable: false },
    });
  });

  test('a small result stays inline and nothing is written to S3', async () => {
    const table = new JobTableFake(dynamo, storedJob({ payload: { result: { ok: 1 } } }));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('completed');
    expect(table.item).toMatchObject({ result: { ok: 1 } });
    expect(bucket.objects.size).toBe(0);
  });
});
