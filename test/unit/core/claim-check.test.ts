import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  assertStorable,
  ClaimCheck,
  INLINE_PAYLOAD_LIMIT_BYTES,
  INLINE_RESULT_LIMIT_BYTES,
  payloadKey,
  resultKey,
} from '../../../lambdas/core/claim-check';
import { ValidationError } from '../../../lambdas/core/errors';
import {
  DYNAMODB_ITEM_LIMIT_BYTES,
  estimateItemBytes,
  ITEM_SIZE_BUDGET_BYTES,
  SUBMISSION_ITEM_BUDGET_BYTES,
  TRANSITION_ALLOWANCE_BYTES,
} from '../../../lambdas/core/item-size';
import type { JobRecord } from '../../../lambdas/core/job';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { BucketFake } from '../support/s3-objects';

const s3 = mockClient(S3Client);
let bucket: BucketFake;
const claimCheck = new ClaimCheck(new S3Client({ region: 'eu-west-1' }), 'files-test');

const KB = 1024;
const text = (kilobytes: number, fill = 'x') => fill.repeat(kilobytes * KB);
const job = (fields: Record<string, unknown> = {}): JobRecord => {
  const { PK: _pk, SK: _sk, ...record } = storedJob(fields);
  return record as unknown as JobRecord;
};

/** The item a transition writing `set` and removing `remove` leaves, as DynamoDB would store it. */
const afterUpdate = (before: JobRecord, update: { set: Record<string, unknown>; remove: string[] }) => {
  const item: Record<string, unknown> = { ...before, ...update.set };
  for (const attribute of update.remove) delete item[attribute];
  return item;
};

beforeEach(() => {
  s3.reset();
  bucket = new BucketFake(s3);
});

describe('at submission', () => {
  test('a payload over 200 KB goes to payloads/<jobId>/payload.json; the item keeps payloadRef', async () => {
    const payload = { durationMs: 10, result: text(210) };
    const stored = await claimCheck.prepareSubmission(job({ payload }));
    expect(stored).not.toHaveProperty('payload');
    expect(stored.payloadRef).toEqual({ key: payloadKey(JOB_ID), bytes: JSON.stringify(payload).length });
    expect(payloadKey(JOB_ID)).toBe(`payloads/${JOB_ID}/payload.json`);
    expect(bucket.json(payloadKey(JOB_ID))).toEqual(payload);
  });

  test('a payload of 200 KB or less stays inline and nothing is written to S3', async () => {
    const payload = { result: text(190) };
    const stored = await claimCheck.prepareSubmission(job({ payload }));
    expect(stored.payload).toEqual(payload);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('a small payload still moves when payload and metadata together leave no room for the outcome', async () => {
    const stored = await claimCheck.prepareSubmission(
      job({ payload: { result: text(150) }, metadata: { notes: text(180) } }),
    );
    expect(stored.payloadRef?.key).toBe(payloadKey(JOB_ID));
    expect(stored.metadata).toEqual({ notes: text(180) });
  });

  test('metadata too large to store even with the payload in S3 is a 400 naming metadata', () => {
    // 240 KB of JSON, but ~360 KB in DynamoDB: one-digit numbers cost 3 bytes each there.
    const metadata = { counts: Array.from({ length: 120 * KB }, () => 1) };
    expect(JSON.stringify(metadata).length).toBeLessThan(256 * KB);
    try {
      assertStorable(job({ metadata }));
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(JSON.stringify((error as ValidationError).details)).toContain('metadata');
    }
  });

  test('the issue’s job (190 KB result in the payload, 60 KB metadata) is storable', () => {
    expect(() =>
      assertStorable(job({ payload: { durationMs: 10, result: text(190) }, metadata: { blob: text(60) } })),
    ).not.toThrow();
  });
});

describe('recording an outcome (fitUpdate)', () => {
  test('a result over 200 KB always goes to results/<jobId>/result.json', async () => {
    const result = { text: text(201) };
    const update = await claimCheck.fitUpdate(job(), { result, completedAt: 'now' });
    expect(update.set).not.toHaveProperty('result');
    expect(update.set.resultRef).toEqual({ key: resultKey(JOB_ID), bytes: JSON.stringify(result).length });
    expect(update.set.completedAt).toBe('now');
    expect(update.remove).toEqual([]);
    expect(bucket.json(resultKey(JOB_ID))).toEqual(result);
  });

  test('a small result on a small job stays inline, without any S3 call', async () => {
    const update = await claimCheck.fitUpdate(job(), { result: { ok: true } });
    expect(update).toEqual({ set: { result: { ok: true } }, remove: [] });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('190 KB result + 190 KB payload + 60 KB metadata: the result moves and the item fits', async () => {
    const before = job({
      status: 'processing',
      payload: { durationMs: 10, result: text(190) },
      metadata: { blob: text(60) },
    });
    const result = text(190);
    const update = await claimCheck.fitUpdate(before, { result });
    expect(update.set.resultRef).toMatchObject({ key: resultKey(JOB_ID) });
    expect(update.set).not.toHaveProperty('result');
    expect(update.remove).toEqual([]);
    expect(bucket.json(resultKey(JOB_ID))).toBe(result);
    expect(estimateItemBytes(afterUpdate(before, update))).toBeLessThan(ITEM_SIZE_BUDGET_BYTES);
  });

  test('when even the referenced result does not make room, the payload moves too', async () => {
    const payload = { result: text(199) };
    const before = job({ status: 'processing', payload, metadata: { blob: text(160) } });
    const update = await claimCheck.fitUpdate(before, { result: text(100) });
    expect(update.set.resultRef).toBeDefined();
    expect(update.set.payloadRef).toEqual({ key: payloadKey(JOB_ID), bytes: JSON.stringify(payload).length });
    expect(update.remove).toEqual(['payload']);
    expect(bucket.json(payloadKey(JOB_ID))).toEqual(payload);
    expect(estimateItemBytes(afterUpdate(before, update))).toBeLessThan(ITEM_SIZE_BUDGET_BYTES);
  });

  test('a failure on a job near the limit moves the payload so the error fits', async () => {
    const before = job({
      status: 'processing',
      payload: { result: text(199) },
      metadata: { blob: text(160) },
    });
    const error = { code: 'HANDLER_ERROR', message: text(1), retryable: true };
    const update = await claimCheck.fitUpdate(before, { error });
    expect(update.remove).toEqual(['payload']);
    expect(update.set.error).toEqual(error);
    expect(estimateItemBytes(afterUpdate(before, update))).toBeLessThan(DYNAMODB_ITEM_LIMIT_BYTES);
  });

  test('a payload already in S3 is not written again', async () => {
    const before = job({
      payload: undefined,
      payloadRef: { key: payloadKey(JOB_ID), bytes: 5 },
      metadata: { blob: text(300) },
    });
    const update = await claimCheck.fitUpdate(before, { result: { ok: true } });
    expect(update.remove).toEqual([]);
    expect(update.set).not.toHaveProperty('payloadRef');
  });
});

describe('reading back', () => {
  test('resolve puts offloaded payload and result back and drops the references', async () => {
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ big: 'payload' }));
    bucket.objects.set(resultKey(JOB_ID), JSON.stringify({ big: 'result' }));
    const stored = job({
      payload: undefined,
      payloadRef: { key: payloadKey(JOB_ID), bytes: 17 },
      resultRef: { key: resultKey(JOB_ID), bytes: 16 },
    });
    const resolved = await claimCheck.resolve(stored);
    expect(resolved.payload).toEqual({ big: 'payload' });
    expect(resolved.result).toEqual({ big: 'result' });
    expect(resolved).not.toHaveProperty('payloadRef');
    expect(resolved).not.toHaveProperty('resultRef');
  });

  test('resolve reads only the fields asked for', async () => {
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ big: 'payload' }));
    const stored = job({
      payload: undefined,
      payloadRef: { key: payloadKey(JOB_ID), bytes: 17 },
      resultRef: { key: resultKey(JOB_ID), bytes: 16 },
    });
    const resolved = await claimCheck.resolve(stored, ['payload']);
    expect(resolved.payload).toEqual({ big: 'payload' });
    expect(resolved).not.toHaveProperty('result');
  });

  test('payloadOf tells an expired payload object apart from a payload', async () => {
    const stored = job({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 17 } });
    expect(await claimCheck.payloadOf(stored)).toEqual({ found: false });
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ n: 1 }));
    expect(await claimCheck.payloadOf(stored)).toEqual({ found: true, value: { n: 1 } });
    expect(await claimCheck.payloadOf(job({ payload: { inline: true } }))).toEqual({
      found: true,
      value: { inline: true },
    });
  });
});

/** The store's projection of a job item: its estimated size plus 1 KB for key attributes. */
const projected = (item: object) => estimateItemBytes(item as Record<string, unknown>) + KB;

/** A job whose metadata is padded so that `measure(job)` is exactly `target` bytes. */
const sizedJob = (
  target: number,
  measure: (candidate: JobRecord) => number,
  fields: Record<string, unknown> = {},
) => {
  const base = job({ ...fields, metadata: { pad: '' } });
  const sized = job({ ...fields, metadata: { pad: 'x'.repeat(target - measure(base)) } });
  expect(measure(sized)).toBe(target);
  return sized;
};

/** A JSON string value that serializes to exactly `bytes` bytes. */
const jsonOf = (bytes: number) => 'x'.repeat(bytes - 2);

describe('limits', () => {
  test('results and payloads over 200 KB leave the item', () => {
    expect(INLINE_RESULT_LIMIT_BYTES).toBe(200 * KB);
    expect(INLINE_PAYLOAD_LIMIT_BYTES).toBe(200 * KB);
  });

  test('objects are written to the bucket as JSON under their key', async () => {
    const payload = { big: text(201) };
    await claimCheck.prepareSubmission(job({ payload }));
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'files-test',
        Key: `payloads/${JOB_ID}/payload.json`,
        Body: JSON.stringify(payload),
        ContentType: 'application/json',
      },
    ]);
  });

  test('a payload of exactly 200 KB stays inline; one byte more moves', async () => {
    const atLimit = job({ payload: jsonOf(INLINE_PAYLOAD_LIMIT_BYTES) });
    await expect(claimCheck.prepareSubmission(atLimit)).resolves.toBe(atLimit);
    const over = await claimCheck.prepareSubmission(job({ payload: jsonOf(INLINE_PAYLOAD_LIMIT_BYTES + 1) }));
    expect(over.payloadRef).toEqual({ key: payloadKey(JOB_ID), bytes: INLINE_PAYLOAD_LIMIT_BYTES + 1 });
  });

  test('a job projected at exactly the submission budget keeps its payload; one byte more moves it', async () => {
    const atBudget = sizedJob(SUBMISSION_ITEM_BUDGET_BYTES, projected);
    await expect(claimCheck.prepareSubmission(atBudget)).resolves.toBe(atBudget);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    const over = sizedJob(SUBMISSION_ITEM_BUDGET_BYTES + 1, projected);
    const stored = await claimCheck.prepareSubmission(over);
    expect(stored).not.toHaveProperty('payload');
    expect(stored.payloadRef?.key).toBe(payloadKey(JOB_ID));
  });

  test('a result of exactly 200 KB stays inline; one byte more moves', async () => {
    const atLimit = jsonOf(INLINE_RESULT_LIMIT_BYTES);
    await expect(claimCheck.fitUpdate(job(), { result: atLimit })).resolves.toEqual({
      set: { result: atLimit },
      remove: [],
    });
    const over = await claimCheck.fitUpdate(job(), { result: jsonOf(INLINE_RESULT_LIMIT_BYTES + 1) });
    expect(over.set).toEqual({ resultRef: { key: resultKey(JOB_ID), bytes: INLINE_RESULT_LIMIT_BYTES + 1 } });
  });

  test('a result that is undefined is stored as null', async () => {
    await expect(claimCheck.fitUpdate(job(), { result: undefined })).resolves.toEqual({
      set: { result: null },
      remove: [],
    });
  });

  test('a result projected at exactly the item budget stays inline; one byte more moves it', async () => {
    const withResult = (candidate: JobRecord) =>
      projected({ ...candidate, result: 'r' }) + TRANSITION_ALLOWANCE_BYTES;
    const atBudget = sizedJob(ITEM_SIZE_BUDGET_BYTES, withResult);
    await expect(claimCheck.fitUpdate(atBudget, { result: 'r' })).resolves.toEqual({
      set: { result: 'r' },
      remove: [],
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    const over = await claimCheck.fitUpdate(sizedJob(ITEM_SIZE_BUDGET_BYTES + 1, withResult), {
      result: 'r',
    });
    expect(over.set.resultRef).toEqual({ key: resultKey(JOB_ID), bytes: 3 });
    expect(bucket.json(resultKey(JOB_ID))).toBe('r');
  });

  test('a job projected at exactly the item budget keeps its payload; one byte more moves it', async () => {
    const error = { code: 'E', message: 'm', retryable: false };
    const withError = (candidate: JobRecord) =>
      projected({ ...candidate, error }) + TRANSITION_ALLOWANCE_BYTES;
    await expect(
      claimCheck.fitUpdate(sizedJob(ITEM_SIZE_BUDGET_BYTES, withError), { error }),
    ).resolves.toEqual({ set: { error }, remove: [] });
    const over = await claimCheck.fitUpdate(sizedJob(ITEM_SIZE_BUDGET_BYTES + 1, withError), { error });
    expect(over).toEqual({
      set: {
        error,
        payloadRef: { key: payloadKey(JOB_ID), bytes: JSON.stringify({ durationMs: 10 }).length },
      },
      remove: ['payload'],
    });
    // Without a result in the update, no result reference is made up.
    expect(over.set).not.toHaveProperty('resultRef');
  });

  test('a job over the budget without a payload, or whose payload is already referenced, moves nothing', async () => {
    const error = { code: 'E', message: 'm', retryable: false };
    const noPayload = job({ payload: undefined, metadata: { blob: text(355) } });
    await expect(claimCheck.fitUpdate(noPayload, { error })).resolves.toEqual({ set: { error }, remove: [] });
    const referenced = job({
      payloadRef: { key: payloadKey(JOB_ID), bytes: 5 },
      metadata: { blob: text(355) },
    });
    await expect(claimCheck.fitUpdate(referenced, { error })).resolves.toEqual({
      set: { error },
      remove: [],
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('assertStorable', () => {
  test('a job projected at exactly the submission budget is storable; one byte more is not', () => {
    const measure = (candidate: JobRecord) => projected(candidate);
    expect(() =>
      assertStorable(sizedJob(SUBMISSION_ITEM_BUDGET_BYTES, measure, { payload: undefined })),
    ).not.toThrow();
    expect(() =>
      assertStorable(sizedJob(SUBMISSION_ITEM_BUDGET_BYTES + 1, measure, { payload: undefined })),
    ).toThrow(ValidationError);
  });

  test('a payload too large for the item never makes a job unstorable: it is counted as a reference', () => {
    expect(() => assertStorable(job({ payload: { blob: text(330) } }))).not.toThrow();
  });

  test('the refusal names the metadata, or the body when the job has none, with the budget in KB', () => {
    const refusal = (candidate: JobRecord) => {
      try {
        assertStorable(candidate);
      } catch (error) {
        return error as ValidationError;
      }
      throw new Error('expected a ValidationError');
    };
    const message = 'the job must fit in 312 KB as stored; put large input in the payload or an upload';
    const tooLarge = refusal(job({ metadata: { blob: text(320) } }));
    expect(tooLarge.message).toBe('The job is too large to store.');
    expect(tooLarge.details).toEqual({ fields: [{ field: 'metadata', message }] });
    expect(refusal(job({ correlationId: text(320) })).details).toEqual({
      fields: [{ field: '(body)', message }],
    });
  });
});

describe('reading objects', () => {
  test('reads the referenced key from the bucket', async () => {
    bucket.objects.set('elsewhere/p.json', '{"n":2}');
    const stored = job({ payload: undefined, payloadRef: { key: 'elsewhere/p.json', bytes: 7 } });
    await expect(claimCheck.payloadOf(stored)).resolves.toEqual({ found: true, value: { n: 2 } });
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'files-test', Key: 'elsewhere/p.json' },
    ]);
  });

  test('resolve leaves out a field whose object is gone, and drops its reference', async () => {
    bucket.objects.set(resultKey(JOB_ID), '"done"');
    const { payload: _inline, ...stored } = job({
      payloadRef: { key: payloadKey(JOB_ID), bytes: 17 },
      resultRef: { key: resultKey(JOB_ID), bytes: 6 },
    });
    const resolved = await claimCheck.resolve(stored as JobRecord);
    expect(resolved).not.toHaveProperty('payload');
    expect(resolved).not.toHaveProperty('payloadRef');
    expect(resolved.result).toBe('done');
  });

  test('resolve of a job without references reads nothing', async () => {
    const stored = job({ result: { inline: true } });
    await expect(claimCheck.resolve(stored)).resolves.toEqual(stored);
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  test('an object without a body reads as null', async () => {
    s3.on(GetObjectCommand).resolves({});
    const stored = job({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 4 } });
    await expect(claimCheck.payloadOf(stored)).resolves.toEqual({ found: true, value: null });
  });

  test('a failure other than a missing object is rethrown', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const stored = job({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 4 } });
    await expect(claimCheck.payloadOf(stored)).rejects.toThrow('denied');
  });
});
