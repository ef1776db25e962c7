import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as ExcelJS from 'exceljs';
import type { JobRecord } from '../../lambdas/core/job';
import { EXPORT_PART_BYTES, runExport } from '../../lambdas/jobs/data-export';
import type { DataExportPayload } from '../../lambdas/jobs/data-export-payload';
import { parseCsv } from '../support/csv';
import { api, eventually, type Reply, stack } from './support/client';
import { localToken } from './support/tokens';

/**
 * data.export end to end: users of this file's own (fresh every run) submit jobs, export
 * them through the API and download the file from the local S3 with the presigned link.
 */
const RUN = Date.now().toString(36);
const USERS = { owner: `export-owner-${RUN}`, other: `export-other-${RUN}` } as const;
type Owner = keyof typeof USERS;
const tokens: Record<Owner, string> = { owner: '', other: '' };

const as = (who: Owner, method: string, route: string, body?: unknown): Promise<Reply> =>
  api(method, route, { user: null, headers: { authorization: `Bearer ${tokens[who]}` }, body });

const submitAs = async (who: Owner, body: Record<string, unknown>): Promise<string> => {
  const reply = await as(who, 'POST', '/v1/jobs', body);
  expect(reply.status).toBe(202);
  return reply.body.jobId as string;
};

const finished = (who: Owner, jobId: string) =>
  eventually(
    () => as(who, 'GET', `/v1/jobs/${jobId}`),
    (reply) => ['completed', 'failed', 'cancelled'].includes(reply.body?.status),
    60_000,
  ).then((reply) => reply.body);

/** Runs an export to completion; the finished job. */
const exportAs = async (who: Owner, payload: Record<string, unknown>) => {
  const job = await finished(who, await submitAs(who, { type: 'data.export', payload }));
  // The error, if any, says why an export failed.
  expect({ type: job.type, status: job.status, error: job.error }).toEqual({
    type: 'data.export',
    status: 'completed',
    error: undefined,
  });
  return job;
};

const download = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type'),
  };
};

/** The owner's simulated jobs, oldest first: three completed, one failed (with a hostile correlation id). */
let ownJobs: { jobId: string; createdAt: string; status: string }[] = [];
let otherJobIds: string[] = [];

beforeAll(async () => {
  tokens.owner = localToken(USERS.owner);
  tokens.other = localToken(USERS.other);
  const ids: string[] = [];
  for (let index = 0; index < 3; index += 1) {
    ids.push(await submitAs('owner', { type: 'system.simulate', payload: { durationMs: 0 } }));
  }
  ids.push(
    await submitAs('owner', {
      type: 'system.simulate',
      payload: { failAttempts: 1, failWith: 'fatal' },
      correlationId: '=HYPERLINK("https://evil.example")',
    }),
  );
  otherJobIds = [
    await submitAs('other', { type: 'system.simulate', payload: { durationMs: 0 } }),
    await submitAs('other', { type: 'system.simulate', payload: { durationMs: 0 } }),
  ];
  ownJobs = await Promise.all(ids.map((jobId) => finished('owner', jobId)));
  await Promise.all(otherJobIds.map((jobId) => finished('other', jobId)));
}, 120_000);

test('CSV: exactly the caller’s own jobs, newest first, the export itself left out, formulas defused', async () => {
  const job = await exportAs('owner', { format: 'csv' });
  const { bytes, contentType } = await download(job.result.downloadUrl);
  expect(contentType).toBe('text/csv; charset=utf-8');
  expect(job.result).toEqual({
    fileKey: `exports/${USERS.owner}/${job.jobId}.csv`,
    downloadUrl: expect.any(String),
    rows: 4,
    bytes: bytes.length,
  });
  const [header, ...rows] = parseCsv(bytes.toString('utf8'));
  expect(header?.slice(0, 3)).toEqual(['jobId', 'type', 'status']);
  expect(rows.map((row) => row[0])).toEqual(ownJobs.map((own) => own.jobId).reverse());
  for (const jobId of [...otherJobIds, job.jobId]) expect(rows.map((row) => row[0])).not.toContain(jobId);
  const failed = rows.find((row) => row[2] === 'failed');
  const correlation = header?.indexOf('correlationId') ?? -1;
  expect(failed?.[correlation]).toBe(`'=HYPERLINK("https://evil.example")`);
});

test('JSON Lines with a status filter: one job view per line, the failed job only', async () => {
  const job = await exportAs('owner', { format: 'jsonl', status: 'failed' });
  const { bytes, contentType } = await download(job.result.downloadUrl);
  expect(contentType).toBe('application/x-ndjson; charset=utf-8');
  const lines = bytes
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    jobId: ownJobs[3]?.jobId,
    type: 'system.simulate',
    status: 'failed',
    payload: { failAttempts: 1, failWith: 'fatal' },
    error: { retryable: false },
  });
  expect(lines[0]).not.toHaveProperty('userId');
  expect(job.result.rows).toBe(1);
});

test('XLSX with a type filter: a real workbook with the simulated jobs only (no earlier exports)', async () => {
  const job = await exportAs('owner', { format: 'xlsx', type: 'system.simulate' });
  const { bytes, contentType } = await download(job.result.downloadUrl);
  expect(contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect(bytes.length).toBe(job.result.bytes);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('jobs');
  expect(sheet?.rowCount).toBe(5);
  const ids = [2, 3, 4, 5].map((row) => sheet?.getRow(row).getCell(1).value);
  expect(ids).toEqual(ownJobs.map((own) => own.jobId).reverse());
  expect(sheet?.getRow(2).getCell(6).value).toEqual(expect.any(Number)); // attempts, a number
});

test('a date range selects by creation time, both ends inclusive', async () => {
  const [first, second] = ownJobs;
  if (!first || !second) throw new Error('jobs missing');
  const job = await exportAs('owner', {
    format: 'jsonl',
    type: 'system.simulate',
    from: first.createdAt,
    to: second.createdAt,
  });
  const lines = (await download(job.result.downloadUrl)).bytes.toString('utf8').trimEnd().split('\n');
  const ids = lines.map((line) => JSON.parse(line).jobId);
  expect(ids).toEqual(expect.arrayContaining([first.jobId, second.jobId]));
  expect(ids).not.toContain(ownJobs[3]?.jobId);
  for (const line of lines) {
    const createdAt = JSON.parse(line).createdAt as string;
    expect(createdAt >= first.createdAt && createdAt <= second.createdAt).toBe(true);
  }
  const none = await exportAs('owner', { format: 'csv', to: '2000-01-01' });
  expect(none.result.rows).toBe(0);
});

test('another user’s export holds their jobs, never the first user’s', async () => {
  const job = await exportAs('other', { format: 'jsonl' });
  const lines = (await download(job.result.downloadUrl)).bytes.toString('utf8').trimEnd().split('\n');
  expect(lines.map((line) => JSON.parse(line).jobId)).toEqual([...otherJobIds].reverse());
});

test('bad payloads are 400s naming the field', async () => {
  const backwards = await as('owner', 'POST', '/v1/jobs', {
    type: 'data.export',
    payload: { format: 'csv', from: '2026-11-30', to: '2026-11-01' },
  });
  expect(backwards.status).toBe(400);
  expect(backwards.body.error.code).toBe('VALIDATION_ERROR');
  expect(backwards.body.error.details.fields).toEqual([
    { field: 'payload.to', message: 'must not be before `from`' },
  ]);
  const unknownType = await as('owner', 'POST', '/v1/jobs', {
    type: 'data.export',
    payload: { format: 'xlsx', type: 'no.such.type' },
  });
  expect(unknownType.status).toBe(400);
  expect(unknownType.body.error.details.fields.map((issue: { field: string }) => issue.field)).toEqual([
    'payload.type',
  ]);
});

test('DELETE /v1/jobs/{id} of an export removes its file', async () => {
  const job = await exportAs('owner', { format: 'csv', status: 'completed' });
  const s3 = new S3Client({
    region: stack().region,
    endpoint: stack().endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const read = () => s3.send(new GetObjectCommand({ Bucket: stack().bucketName, Key: job.result.fileKey }));
  try {
    await expect(read()).resolves.toBeDefined();
    expect((await as('owner', 'DELETE', `/v1/jobs/${job.jobId}`)).status).toBe(204);
    await expect(read()).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect((await fetch(job.result.downloadUrl)).status).toBe(404);
  } finally {
    s3.destroy();
  }
});

test('the local S3 takes an export of several 5 MiB parts (a multipart upload) and serves it whole', async () => {
  const ROWS = 20_000;
  const job = (index: number): JobRecord => ({
    jobId: `01JD${String(index).padStart(22, '0')}`,
    userId: USERS.owner,
    type: 'system.simulate',
    status: 'failed',
    priority: 'low',
    priorityValue: 10,
    payload: {},
    attempts: 1,
    maxAttempts: 1,
    error: { code: 'E', message: 'm'.repeat(1000), retryable: false },
    createdAt: '2026-11-30T00:00:00.000Z',
    updatedAt: '2026-11-30T00:00:00.000Z',
    events: [],
    version: 1,
  });
  const s3 = new S3Client({
    region: stack().region,
    endpoint: stack().endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const result = await runExport(
      {
        jobId: `01JDMULTIPART${RUN.toUpperCase().padStart(13, '0')}`,
        userId: USERS.owner,
        payload: { format: 'csv' } as DataExportPayload,
        attempt: 1,
        maxAttempts: 1,
        idempotencyKey: 'multipart',
        signal: new AbortController().signal,
        progress: async () => {},
        logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      },
      {
        jobs: {
          async listForUser(query) {
            const start = Number(query.after ?? 0);
            const end = Math.min(start + query.limit, ROWS);
            const jobs = Array.from({ length: end - start }, (_, offset) => job(start + offset));
            return end < ROWS ? { jobs, lastSortKey: String(end) } : { jobs };
          },
        },
        s3,
        bucketName: stack().bucketName,
      },
    );
    expect(result.bytes).toBeGreaterThan(3 * EXPORT_PART_BYTES);
    const { bytes } = await download(result.downloadUrl);
    expect(bytes.length).toBe(result.bytes);
    const records = bytes.toString('utf8').split('\r\n');
    expect(records).toHaveLength(ROWS + 2); // header, rows, and the empty string after the last CRLF
    expect(records[ROWS]?.startsWith(job(ROWS - 1).jobId)).toBe(true);
  } finally {
    s3.destroy();
  }
});
