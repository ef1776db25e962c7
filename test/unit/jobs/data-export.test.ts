import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as ExcelJS from 'exceljs';
import { ValidationError } from '../../../lambdas/core/errors';
import type { JobRecord } from '../../../lambdas/core/job';
import type { ListPage, ListQuery } from '../../../lambdas/core/job-store';
import { parseOrThrow } from '../../../lambdas/core/validation';
import {
  EXPORT_DEADLINE_MARGIN_MS,
  EXPORT_PAGE_SIZE,
  EXPORT_PART_BYTES,
  EXPORT_QUEUE_SIZE,
  type ExportJobSource,
  runExport,
} from '../../../lambdas/jobs/data-export';
import {
  csvField,
  csvHeader,
  csvRow,
  EXPORT_COLUMNS,
  jsonLine,
  neutralizeFormula,
  xlsxRow,
} from '../../../lambdas/jobs/data-export-format';
import { createdRange, type DataExportPayload } from '../../../lambdas/jobs/data-export-payload';
import { JobFailure } from '../../../lambdas/jobs/job-failure';
import { jobObjectKeys } from '../../../lambdas/jobs/job-removal';
import type { JobContext, ProgressUpdate } from '../../../lambdas/jobs/job-type';
import { findJobType } from '../../../lambdas/jobs/registry';
import { parseCsv } from '../../support/csv';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });

const EXPORT_JOB_ID = '01JD00000000000000000EXP0R';
const NOW = Date.parse('2026-11-30T12:00:00.000Z');

const definition = findJobType('data.export');
if (!definition) throw new Error('data.export is not registered');
const schema = definition.schema;

/** A job as the store returns it: every column set, fixed width (ids padded) unless `fields` say otherwise. */
const jobAt = (index: number, fields: Partial<JobRecord> = {}): JobRecord => ({
  jobId: `01JD${String(index).padStart(22, '0')}`,
  userId: 'user-1',
  type: 'system.simulate',
  status: 'failed',
  priority: 'normal',
  priorityValue: 50,
  payload: { steps: 1 },
  attempts: 3,
  maxAttempts: 3,
  correlationId: `corr-${String(index).padStart(6, '0')}`,
  error: { code: 'HANDLER_ERROR', message: 'boom', retryable: true },
  createdAt: '2026-11-29T10:00:00.000Z',
  updatedAt: '2026-11-29T10:00:03.000Z',
  startedAt: '2026-11-29T10:00:01.000Z',
  completedAt: '2026-11-29T10:00:03.000Z',
  durationMs: 2000,
  events: [],
  version: 4,
  ...fields,
});

/**
 * A job source of `total` jobs made on demand, a page at a time (never held as a list), that
 * records each query and calls `onPage` before answering it.
 */
const lazySource = (
  total: number,
  make: (index: number) => JobRecord = jobAt,
  onPage: (query: ListQuery) => void = () => {},
) => {
  const queries: ListQuery[] = [];
  const source: ExportJobSource = {
    async listForUser(query): Promise<ListPage> {
      queries.push(query);
      onPage(query);
      const start = query.after === undefined ? 0 : Number(query.after);
      const end = Math.min(start + query.limit, total);
      const jobs = Array.from({ length: end - start }, (_, offset) => make(start + offset));
      return end < total ? { jobs, lastSortKey: String(end) } : { jobs };
    },
  };
  return { source, queries };
};

let progress: ProgressUpdate[];
const context = (
  payload: DataExportPayload,
  overrides: Partial<JobContext<DataExportPayload>> = {},
): JobContext<DataExportPayload> => ({
  jobId: EXPORT_JOB_ID,
  userId: 'user-1',
  payload,
  attempt: 1,
  maxAttempts: 3,
  idempotencyKey: 'k',
  signal: new AbortController().signal,
  deadlineAt: NOW + 300_000,
  progress: async (update) => {
    progress.push(update);
  },
  logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  ...overrides,
});

const deps = (jobs: ExportJobSource, now = () => NOW) => ({
  jobs,
  s3: client,
  bucketName: 'files-test',
  now,
});

/** The body of the one PutObject an export smaller than a part makes. */
const putBody = (): Buffer => {
  const [call] = s3.commandCalls(PutObjectCommand);
  if (!call) throw new Error('no PutObject');
  return Buffer.from(call.args[0].input.Body as Uint8Array);
};

beforeEach(() => {
  s3.reset();
  progress = [];
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
});

describe('the payload schema', () => {
  const issues = (payload: unknown) => {
    try {
      parseOrThrow(schema, payload, 'invalid', 'payload');
    } catch (error) {
      if (error instanceof ValidationError) return (error.details as { fields: { field: string }[] }).fields;
      throw error;
    }
    return [];
  };

  test('takes a format and optional status, registered type and UTC dates or date-times', () => {
    expect(schema.safeParse({ format: 'csv' }).success).toBe(true);
    expect(
      schema.safeParse({
        format: 'xlsx',
        status: 'failed',
        type: 'email.send',
        from: '2026-11-01',
        to: '2026-11-30T23:00:00Z',
      }).success,
    ).toBe(true);
    expect(schema.safeParse({ format: 'jsonl', from: '2026-11-01T00:00:00.123Z' }).success).toBe(true);
  });

  test.each([
    [{}, 'payload.format'],
    [{ format: 'pdf' }, 'payload.format'],
    [{ format: 'csv', status: 'done' }, 'payload.status'],
    [{ format: 'csv', type: 'no.such.type' }, 'payload.type'],
    [{ format: 'csv', type: '' }, 'payload.type'],
    [{ format: 'csv', from: '2026-11-31' }, 'payload.from'],
    [{ format: 'csv', from: '30/11/2026' }, 'payload.from'],
    [{ format: 'csv', to: '2026-11-30T12:00:00+02:00' }, 'payload.to'],
    [{ format: 'csv', userId: 'someone-else' }, 'payload.userId'],
  ])('%j is a 400 naming %s', (payload, field) => {
    expect(issues(payload).map((issue) => issue.field)).toContain(field);
  });

  test('`to` before `from` is a 400 naming `to`; the same day (or instant) is allowed', () => {
    expect(issues({ format: 'csv', from: '2026-11-30', to: '2026-11-29' })).toEqual([
      { field: 'payload.to', message: 'must not be before `from`' },
    ]);
    expect(
      issues({ format: 'csv', from: '2026-11-30T10:00:00.001Z', to: '2026-11-30T10:00:00Z' }).map(
        (issue) => issue.field,
      ),
    ).toEqual(['payload.to']);
    expect(issues({ format: 'csv', from: '2026-11-30', to: '2026-11-30' })).toEqual([]);
    expect(issues({ format: 'csv', from: '2026-11-30T10:00:00Z', to: '2026-11-30' })).toEqual([]);
  });

  test('the stored payload parses again unchanged (the worker checks it before running)', () => {
    const payload = { format: 'csv', status: 'failed', from: '2026-11-01', to: '2026-11-30T12:00:00Z' };
    const parsed = schema.parse(payload);
    expect(parsed).toEqual(payload);
    expect(schema.parse(parsed)).toEqual(payload);
  });

  test('a date covers its whole UTC day; a date-time is an instant to the millisecond', () => {
    expect(createdRange({ from: '2026-11-01', to: '2026-11-30' })).toEqual({
      createdFrom: '2026-11-01T00:00:00.000Z',
      createdTo: '2026-11-30T23:59:59.999Z',
    });
    expect(createdRange({ from: '2026-11-01T08:30:00Z' })).toEqual({
      createdFrom: '2026-11-01T08:30:00.000Z',
    });
    expect(createdRange({})).toEqual({});
  });

  test('the contract row: low priority, 3 attempts, 300 s; removing the job removes every file it may write', () => {
    expect(definition).toMatchObject({ defaultPriority: 'low', maxAttempts: 3, timeoutSeconds: 300 });
    expect(jobObjectKeys({ jobId: 'J1', userId: 'u1', type: 'data.export' })).toEqual(
      expect.arrayContaining(['exports/u1/J1.csv', 'exports/u1/J1.jsonl', 'exports/u1/J1.xlsx']),
    );
  });
});

describe('CSV, JSON Lines and XLSX rows', () => {
  test('CSV fields are quoted as RFC 4180 says: only when needed, quotes doubled', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(42)).toBe('42');
    expect(csvField(undefined)).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  test.each(['=HYPERLINK("http://evil")', '+1+2', '-2+3', '@SUM(A1)', '\tlead', '\rlead'])(
    'a cell starting like a formula (%j) gets a leading apostrophe, in CSV and XLSX',
    (text) => {
      expect(neutralizeFormula(text)).toBe(`'${text}`);
      const job = jobAt(1, { correlationId: text });
      const column = EXPORT_COLUMNS.findIndex((candidate) => candidate.name === 'correlationId');
      expect(parseCsv(csvRow(job))[0]?.[column]).toBe(`'${text}`);
      expect(xlsxRow(job)[column]).toBe(`'${text}`);
    },
  );

  test('numbers are never altered (a negative number is a number, not a formula)', () => {
    const job = jobAt(1, { durationMs: -5, priorityValue: 0 });
    const row = xlsxRow(job);
    expect(row[EXPORT_COLUMNS.findIndex((column) => column.name === 'durationMs')]).toBe(-5);
    expect(csvRow(job)).toContain(',-5,');
    expect(neutralizeFormula('safe = text')).toBe('safe = text');
  });

  test('a CSV row has the columns of the header, in order, with CRLF; payload and result stay out', () => {
    const job = jobAt(7, {
      result: { secret: 'r' },
      error: { code: 'E', message: 'x, "y"', retryable: false },
    });
    const [header] = parseCsv(csvHeader());
    expect(header).toEqual([
      'jobId',
      'type',
      'status',
      'priority',
      'priorityValue',
      'attempts',
      'maxAttempts',
      'createdAt',
      'runAt',
      'startedAt',
      'completedAt',
      'durationMs',
      'correlationId',
      'errorCode',
      'errorMessage',
    ]);
    expect(csvRow(job).endsWith('\r\n')).toBe(true);
    expect(parseCsv(csvRow(job))).toEqual([
      [
        job.jobId,
        'system.simulate',
        'failed',
        'normal',
        '50',
        '3',
        '3',
        '2026-11-29T10:00:00.000Z',
        '',
        '2026-11-29T10:00:01.000Z',
        '2026-11-29T10:00:03.000Z',
        '2000',
        'corr-000007',
        'E',
        'x, "y"',
      ],
    ]);
    expect(csvRow(job)).not.toContain('secret');
  });

  test('a JSON line is the job as the API lists it; an offloaded payload or result is marked, not fetched', () => {
    const inline = JSON.parse(jsonLine(jobAt(1, { result: { ok: true } })));
    expect(inline).toMatchObject({ jobId: jobAt(1).jobId, payload: { steps: 1 }, result: { ok: true } });
    expect(inline).not.toHaveProperty('userId');
    expect(inline).not.toHaveProperty('events');
    expect(inline).not.toHaveProperty('payloadOmitted');
    const offloaded = jobAt(2, {
      payload: undefined,
      payloadRef: { key: 'payloads/x', bytes: 300_000 },
      resultRef: { key: 'results/x', bytes: 900_000 },
    });
    const line = jsonLine(offloaded);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ payloadOmitted: true, resultOmitted: true });
    expect(parsed).not.toHaveProperty('payload');
    expect(parsed).not.toHaveProperty('payloadRef');
  });
});

describe('runExport', () => {
  test('CSV: the caller’s jobs newest first (the export job left out) in one object with its type and an attachment name', async () => {
    const { source, queries } = lazySource(250, (index) =>
      index === 3 ? jobAt(index, { jobId: EXPORT_JOB_ID, status: 'processing' }) : jobAt(index),
    );
    const result = await runExport(context({ format: 'csv' }), deps(source));

    const body = putBody();
    const records = parseCsv(body.toString('utf8'));
    expect(records[0]?.[0]).toBe('jobId');
    expect(records).toHaveLength(1 + 249);
    expect(records.slice(1).map((record) => record[0])).not.toContain(EXPORT_JOB_ID);
    expect(records[1]?.[0]).toBe(jobAt(0).jobId);
    expect(records[249]?.[0]).toBe(jobAt(249).jobId);
    expect(result).toEqual({
      fileKey: `exports/user-1/${EXPORT_JOB_ID}.csv`,
      downloadUrl: expect.stringContaining(`/exports/user-1/${EXPORT_JOB_ID}.csv?`),
      rows: 249,
      bytes: body.length,
    });
    expect(result.downloadUrl).toContain('X-Amz-Expires=3600');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'files-test',
      Key: `exports/user-1/${EXPORT_JOB_ID}.csv`,
      ContentType: 'text/csv; charset=utf-8',
      ContentDisposition: `attachment; filename="jobs-${EXPORT_JOB_ID}.csv"`,
    });
    // Pages of the store's list query, each after the last one's sort key, for the caller only.
    expect(queries).toEqual([
      { userId: 'user-1', limit: EXPORT_PAGE_SIZE, after: undefined, status: undefined, type: undefined },
      { userId: 'user-1', limit: EXPORT_PAGE_SIZE, after: '100', status: undefined, type: undefined },
      { userId: 'user-1', limit: EXPORT_PAGE_SIZE, after: '200', status: undefined, type: undefined },
    ]);
    expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });

  test('filters reach the store query: status and type, and from/to as a creation range', async () => {
    const { source, queries } = lazySource(3);
    await runExport(
      context({
        format: 'jsonl',
        status: 'failed',
        type: 'email.send',
        from: '2026-11-01',
        to: '2026-11-02',
      }),
      deps(source),
    );
    expect(queries).toEqual([
      {
        userId: 'user-1',
        limit: EXPORT_PAGE_SIZE,
        after: undefined,
        status: 'failed',
        type: 'email.send',
        createdFrom: '2026-11-01T00:00:00.000Z',
        createdTo: '2026-11-02T23:59:59.999Z',
      },
    ]);
  });

  test('JSON Lines: one job view per line, in ndjson', async () => {
    const { source } = lazySource(120);
    const result = await runExport(context({ format: 'jsonl' }), deps(source));
    const lines = putBody().toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).jobId)).toEqual(
      Array.from({ length: 120 }, (_, index) => jobAt(index).jobId),
    );
    expect(result).toMatchObject({ rows: 120, fileKey: `exports/user-1/${EXPORT_JOB_ID}.jsonl` });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      ContentType: 'application/x-ndjson; charset=utf-8',
    });
  });

  test('an empty export is still a complete file (CSV: the header alone)', async () => {
    const { source } = lazySource(0);
    const result = await runExport(context({ format: 'csv' }), deps(source));
    expect(putBody().toString('utf8')).toBe(csvHeader());
    expect(result.rows).toBe(0);
  });

  test('XLSX: a real workbook that exceljs reads back, with the same rows, numbers as numbers, formulas defused', async () => {
    const { source } = lazySource(230, (index) =>
      index === 5 ? jobAt(index, { correlationId: '=cmd|" /C calc"!A0' }) : jobAt(index),
    );
    const result = await runExport(context({ format: 'xlsx' }), deps(source));
    const body = putBody();
    expect(result).toMatchObject({
      rows: 230,
      bytes: body.length,
      fileKey: `exports/user-1/${EXPORT_JOB_ID}.xlsx`,
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      ContentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      ContentDisposition: `attachment; filename="jobs-${EXPORT_JOB_ID}.xlsx"`,
    });

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(body as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('jobs');
    if (!sheet) throw new Error('no jobs sheet');
    expect(sheet.rowCount).toBe(231);
    const values = (row: number) => (sheet.getRow(row).values as unknown[]).slice(1);
    expect(values(1)).toEqual(EXPORT_COLUMNS.map((column) => column.name));
    for (const index of [0, 5, 229]) {
      const expected = xlsxRow(jobAt(index, index === 5 ? { correlationId: '=cmd|" /C calc"!A0' } : {}));
      expect(values(index + 2)).toEqual(expected.map((cell) => cell ?? undefined));
    }
    const correlation = EXPORT_COLUMNS.findIndex((column) => column.name === 'correlationId') + 1;
    expect(sheet.getRow(7).getCell(correlation).value).toBe(`'=cmd|" /C calc"!A0`);
    expect(sheet.getRow(2).getCell(5).value).toBe(50);
  });

  test('progress after every page: rows so far', async () => {
    const { source } = lazySource(250);
    await runExport(context({ format: 'csv' }), deps(source));
    expect(progress).toEqual([
      { stage: 'exporting', message: '100 rows so far' },
      { stage: 'exporting', message: '200 rows so far' },
      { stage: 'exporting', message: '250 rows so far' },
      { stage: 'uploading', message: '250 rows' },
    ]);
  });

  describe('100,000 jobs, streamed', () => {
    jest.setTimeout(120_000);

    test('go up in several 5 MiB parts while the producer stays a bounded number of pages ahead of the upload', async () => {
      const TOTAL = 100_000;
      // Wide rows of one width, so bytes tell rows: 100,000 of them make about 60 MB.
      const wide = (index: number) =>
        jobAt(index, { error: { code: 'E', message: 'x'.repeat(500), retryable: true } });
      const rowBytes = Buffer.byteLength(csvRow(wide(0)));
      expect(Buffer.byteLength(csvRow(wide(TOTAL - 1)))).toBe(rowBytes);

      let rowsUploaded = 0;
      let rowsProduced = 0;
      let mostPagesAhead = 0;
      let pagesAtFirstPart: number | undefined;
      const { source, queries } = lazySource(TOTAL, wide, () => {
        mostPagesAhead = Math.max(mostPagesAhead, (rowsProduced - rowsUploaded) / EXPORT_PAGE_SIZE);
        rowsProduced = Math.min(rowsProduced + EXPORT_PAGE_SIZE, TOTAL);
      });
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
      s3.on(UploadPartCommand).callsFake(async (input) => {
        pagesAtFirstPart ??= queries.length;
        // S3 takes its time: a turn of the event loop per part, so an eager producer would run away.
        await new Promise((resolve) => setImmediate(resolve));
        const body = input.Body as Buffer;
        let lines = 0;
        for (let at = body.indexOf(10); at !== -1; at = body.indexOf(10, at + 1)) lines += 1;
        rowsUploaded += lines;
        return { ETag: `"part-${input.PartNumber}"` };
      });
      s3.on(CompleteMultipartUploadCommand).resolves({});

      const result = await runExport(context({ format: 'csv' }), deps(source));

      const totalBytes = Buffer.byteLength(csvHeader()) + TOTAL * rowBytes;
      expect(result).toMatchObject({ rows: TOTAL, bytes: totalBytes });
      expect(rowsUploaded).toBe(TOTAL + 1);
      const parts = Math.ceil(totalBytes / EXPORT_PART_BYTES);
      expect(parts).toBeGreaterThanOrEqual(10);
      expect(s3).toHaveReceivedCommandTimes(UploadPartCommand, parts);
      expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
        Key: `exports/user-1/${EXPORT_JOB_ID}.csv`,
        ContentType: 'text/csv; charset=utf-8',
        ContentDisposition: `attachment; filename="jobs-${EXPORT_JOB_ID}.csv"`,
      });
      expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
        UploadId: 'upload-1',
        MultipartUpload: {
          Parts: Array.from({ length: parts }, (_, index) => ({
            PartNumber: index + 1,
            ETag: `"part-${index + 1}"`,
          })),
        },
      });
      expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
      // What the upload may hold (the parts in flight and the one being filled), plus a page
      // written while it fills: the producer never ran further ahead than that.
      const boundPages =
        Math.ceil(((EXPORT_QUEUE_SIZE + 1) * EXPORT_PART_BYTES) / (rowBytes * EXPORT_PAGE_SIZE)) + 2;
      expect(boundPages).toBeLessThan(TOTAL / EXPORT_PAGE_SIZE / 3);
      expect(mostPagesAhead).toBeLessThanOrEqual(boundPages);
      expect(pagesAtFirstPart).toBeLessThanOrEqual(boundPages);
    });
  });

  describe('100,000 jobs as XLSX, streamed', () => {
    jest.setTimeout(120_000);

    test('exceljs’s zip is paced too: the producer stays within what the upload holds', async () => {
      const TOTAL = 100_000;
      // Messages that do not compress, so the zip grows with the rows (about 320 bytes each).
      const noisy = (index: number) =>
        jobAt(index, {
          error: {
            code: 'E',
            retryable: true,
            message: Array.from({ length: 8 }, (_, part) =>
              createHash('sha256').update(`${index}:${part}`).digest('base64'),
            ).join(''),
          },
        });
      let bytesUploaded = 0;
      let rowsProduced = 0;
      const positions: [rows: number, bytes: number][] = [];
      const { source } = lazySource(TOTAL, noisy, () => {
        positions.push([rowsProduced, bytesUploaded]);
        rowsProduced = Math.min(rowsProduced + EXPORT_PAGE_SIZE, TOTAL);
      });
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-x' });
      s3.on(UploadPartCommand).callsFake(async (input) => {
        await new Promise((resolve) => setImmediate(resolve));
        bytesUploaded += (input.Body as Buffer).length;
        return { ETag: `"part-${input.PartNumber}"` };
      });
      s3.on(CompleteMultipartUploadCommand).resolves({});

      const result = await runExport(context({ format: 'xlsx' }), deps(source));

      expect(result.rows).toBe(TOTAL);
      expect(s3.commandCalls(UploadPartCommand).length).toBeGreaterThanOrEqual(5);
      expect(s3).toHaveReceivedCommand(CompleteMultipartUploadCommand);
      // Zipped rows of random text are all about the same size: bytes tell rows closely enough.
      const bytesPerRow = result.bytes / TOTAL;
      const mostBytesAhead = Math.max(...positions.map(([rows, bytes]) => rows * bytesPerRow - bytes));
      const bound = (EXPORT_QUEUE_SIZE + 1) * EXPORT_PART_BYTES + 1024 * 1024;
      expect(bound).toBeLessThan(result.bytes / 2);
      expect(mostBytesAhead).toBeLessThanOrEqual(bound);
    });
  });

  describe('deadline, cancel and failure: a partial file is never presented as complete', () => {
    test('near the deadline a small export stops retryably and writes nothing', async () => {
      let time = NOW;
      const { source } = lazySource(1000, jobAt, () => {
        time += 10_000;
      });
      const deadlineAt = NOW + 50_000;
      const failure = await runExport(
        context({ format: 'csv' }, { deadlineAt }),
        deps(source, () => time),
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(JobFailure);
      expect(failure).toMatchObject({ code: 'EXPORT_DEADLINE', retryable: true });
      expect((failure as Error).message).toMatch(/deadline after 400 rows.*discarded/);
      expect(deadlineAt - time).toBeLessThan(EXPORT_DEADLINE_MARGIN_MS);
      expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
      expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    });

    test('a large export past the deadline aborts its multipart upload and never completes it', async () => {
      let time = NOW;
      const wide = (index: number) =>
        jobAt(index, { error: { code: 'E', message: 'y'.repeat(2000), retryable: true } });
      const { source } = lazySource(100_000, wide, () => {
        time += 500;
      });
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-2' });
      s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
      s3.on(AbortMultipartUploadCommand).resolves({});
      const failure = await runExport(
        context({ format: 'csv' }, { deadlineAt: NOW + 60_000 }),
        deps(source, () => time),
      ).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'EXPORT_DEADLINE', retryable: true });
      expect(s3).toHaveReceivedCommand(UploadPartCommand);
      expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, {
        Key: `exports/user-1/${EXPORT_JOB_ID}.csv`,
        UploadId: 'upload-2',
      });
      expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
      expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    });

    test('a cancel (the signal) stops the export between pages, writing nothing', async () => {
      const controller = new AbortController();
      const { source, queries } = lazySource(1000, jobAt, (query) => {
        if (query.after === '200') controller.abort(new Error('cancelled'));
      });
      await expect(
        runExport(context({ format: 'jsonl' }, { signal: controller.signal }), deps(source)),
      ).rejects.toThrow('cancelled');
      expect(queries).toHaveLength(3);
      expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    });

    test('an upload that fails stops the producer instead of leaving it waiting', async () => {
      const wide = (index: number) =>
        jobAt(index, { error: { code: 'E', message: 'z'.repeat(2000), retryable: true } });
      const { source, queries } = lazySource(100_000, wide);
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-3' });
      s3.on(UploadPartCommand).rejects(new Error('SlowDown'));
      s3.on(AbortMultipartUploadCommand).resolves({});
      await expect(runExport(context({ format: 'csv' }), deps(source))).rejects.toThrow('SlowDown');
      expect(queries.length).toBeLessThan(1000);
      expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'upload-3' });
      expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    });
  });
});
