import { type EventEmitter, once } from 'node:events';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import type { JobRecord } from '../core/job';
import { JobStore, type ListPage, type ListQuery } from '../core/job-store';
import { s3Client } from '../core/s3-client';
import { csvHeader, csvRow, EXPORT_COLUMNS, jsonLine, xlsxRow } from './data-export-format';
import {
  createdRange,
  type DataExportPayload,
  type ExportFormat,
  exportFileKey,
} from './data-export-payload';
import { JobFailure } from './job-failure';
import type { JobContext } from './job-type';

/** Where the jobs come from: the store's list query (JobStore satisfies it). */
export interface ExportJobSource {
  listForUser(query: ListQuery): Promise<ListPage>;
}

export interface ExportDependencies {
  readonly jobs: ExportJobSource;
  readonly s3: S3Client;
  readonly bucketName: string;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
}

export interface ExportResult {
  readonly fileKey: string;
  readonly downloadUrl: string;
  readonly rows: number;
  readonly bytes: number;
}

/** Jobs a page: one BatchGetItem's worth, the list route's largest page. */
export const EXPORT_PAGE_SIZE = 100;
/** S3's smallest multipart part; a smaller file goes up as one PutObject. */
export const EXPORT_PART_BYTES = 5 * 1024 * 1024;
/**
 * Parts uploaded at once. With one more being filled, the upload holds at most
 * (queue + 1) × 5 MiB, and the producer waits for it (back-pressure): memory stays bounded
 * whatever the number of jobs.
 */
export const EXPORT_QUEUE_SIZE = 2;
/** Time kept back before the deadline to upload the parts in hand and complete the upload. */
export const EXPORT_DEADLINE_MARGIN_MS = 15_000;
/** How long the download link stays valid: as pdf.render's. */
const DOWNLOAD_URL_SECONDS = 3600;

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The upload's body: passes bytes through and counts them (the result's `bytes`). */
class CountingStream extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Resolves once `stream` has room again; rejects if the stream failed or `signal` aborts. */
const roomIn = async (stream: Writable, signal: AbortSignal): Promise<void> => {
  if (stream.destroyed) throw stream.errored ?? new Error('The export stream was closed.');
  if (stream.writableNeedDrain) await once(stream, 'drain', { signal });
};

/** Writes the rows of one format; every write waits while the upload is behind. */
interface RowWriter {
  /** Writes a page of jobs and waits until the upload has room for the next. */
  writePage(jobs: readonly JobRecord[]): Promise<void>;
  /** Ends the file (the stream ends with it). */
  finish(): Promise<void>;
}

const textWriter = (
  out: Writable,
  signal: AbortSignal,
  header: string | undefined,
  row: (job: JobRecord) => string,
): RowWriter => {
  if (header !== undefined) out.write(header);
  return {
    async writePage(jobs) {
      for (const job of jobs) {
        if (!out.write(row(job))) await roomIn(out, signal);
      }
    },
    async finish() {
      out.end();
    },
  };
};

/** A readable-stream (v2) Writable: exceljs's zip reads a sheet through one. */
interface ZipReader {
  readonly _writableState?: { readonly needDrain?: boolean };
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * Where exceljs 4.4 hands a sheet's rows to its zip. Its streaming writer ignores
 * back-pressure inside: a committed row goes from the sheet's buffer (`sheet.stream`) into
 * the zip's reader whatever that already holds, so a slow upload would leave the rows
 * piling up there. The reader's own write state tells how far behind the zip is. Checked,
 * since it is not exceljs's documented API: a version that changed it fails here, loudly.
 */
const zipReadersOf = (sheet: object): ZipReader[] => {
  const pipes = (sheet as { stream?: { pipes?: unknown } }).stream?.pipes;
  if (
    !Array.isArray(pipes) ||
    pipes.length === 0 ||
    !pipes.every((pipe: ZipReader) => typeof pipe._writableState?.needDrain === 'boolean')
  ) {
    throw new Error('exceljs no longer exposes the sheet stream an XLSX export paces itself by');
  }
  return pipes as ZipReader[];
};

/**
 * XLSX with exceljs's streaming writer: each row is committed (serialized and zipped) as it
 * is added. After each page the producer waits until the zip has taken the page's rows
 * (see zipReadersOf) and `out`, into which exceljs pipes the zip, has room: it stays at
 * most a page ahead of the upload. exceljs is loaded here only: it is large, and only an
 * xlsx export needs it (the API's bundle never reaches this code).
 */
const xlsxWriter = async (out: Writable, signal: AbortSignal): Promise<RowWriter> => {
  // exceljs is CommonJS: Node's own ESM loader offers it as a default export only.
  const { stream } = (await import('exceljs')).default;
  const workbook = new stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet('jobs');
  sheet.addRow(EXPORT_COLUMNS.map((column) => column.name)).commit();
  const zipReaders = zipReadersOf(sheet);
  return {
    async writePage(jobs) {
      for (const job of jobs) sheet.addRow(xlsxRow(job)).commit();
      for (const reader of zipReaders) {
        if (reader._writableState?.needDrain)
          await once(reader as unknown as EventEmitter, 'drain', { signal });
      }
      await roomIn(out, signal);
    },
    async finish() {
      sheet.commit();
      await workbook.commit();
    },
  };
};

const openWriter = (format: ExportFormat, out: Writable, signal: AbortSignal): Promise<RowWriter> => {
  switch (format) {
    case 'csv':
      return Promise.resolve(textWriter(out, signal, csvHeader(), csvRow));
    case 'jsonl':
      return Promise.resolve(textWriter(out, signal, undefined, jsonLine));
    case 'xlsx':
      return xlsxWriter(out, signal);
  }
};

/** The caller's jobs matching the payload, a page at a time, newest first. */
async function* pagesOf(source: ExportJobSource, query: Omit<ListQuery, 'after' | 'limit'>) {
  let after: string | undefined;
  do {
    const page = await source.listForUser({ ...query, limit: EXPORT_PAGE_SIZE, after });
    yield page.jobs;
    after = page.lastSortKey;
  } while (after);
}

/**
 * data.export: the caller's own jobs (admins too: their own only) matching `status`, `type`
 * and the creation range `from`–`to`, newest first, as CSV, JSON Lines or XLSX in
 * `exports/<userId>/<jobId>.<ext>`, streamed: pages of the list route's store query are
 * written into a multipart upload that never holds more than a few parts, so 100,000 jobs
 * take no more memory than 100. The export job itself is left out (it is running, and a
 * file listing itself as unfinished would be misleading).
 *
 * A partial file is never presented as complete: on any failure, the deadline or a cancel,
 * the upload is abandoned before it completes (no object, or the multipart upload aborted),
 * and a retry writes the whole file again under the same key.
 */
export const runExport = async (
  context: JobContext<DataExportPayload>,
  deps: ExportDependencies,
): Promise<ExportResult> => {
  const { payload, jobId, userId, signal } = context;
  const now = deps.now ?? Date.now;
  const fileKey = exportFileKey({ jobId, userId }, payload.format);
  const out = new CountingStream();
  const upload = new Upload({
    client: deps.s3,
    params: {
      Bucket: deps.bucketName,
      Key: fileKey,
      Body: out,
      ContentType: CONTENT_TYPES[payload.format],
      ContentDisposition: `attachment; filename="jobs-${jobId}.${fileKey.slice(fileKey.lastIndexOf('.') + 1)}"`,
    },
    partSize: EXPORT_PART_BYTES,
    queueSize: EXPORT_QUEUE_SIZE,
    leavePartsOnError: false,
  });
  // Its errors reach the producer through `roomIn` and `uploaded`; unheard, one would end the process.
  out.on('error', () => undefined);
  const uploaded = upload.done();
  // A failed upload stops the producer at once: every wait for room ends with it.
  const uploadStopped = new AbortController();
  const waits = AbortSignal.any([signal, uploadStopped.signal]);
  uploaded.catch((error: unknown) => {
    out.destroy(error instanceof Error ? error : new Error(String(error)));
    uploadStopped.abort(error);
  });

  let rows = 0;
  try {
    const writer = await openWriter(payload.format, out, waits);
    for await (const jobs of pagesOf(deps.jobs, {
      userId,
      status: payload.status,
      type: payload.type,
      ...createdRange(payload),
    })) {
      const others = jobs.filter((job) => job.jobId !== jobId);
      await writer.writePage(others);
      rows += others.length;
      await context.progress({ stage: 'exporting', message: `${rows} rows so far` });
      signal.throwIfAborted();
      if (context.deadlineAt !== undefined && context.deadlineAt - now() < EXPORT_DEADLINE_MARGIN_MS) {
        throw new JobFailure(
          'EXPORT_DEADLINE',
          `The export was stopped at its deadline after ${rows} rows; the partial file was discarded. ` +
            'A retry starts over; narrower filters (status, type, from/to) make a smaller export.',
        );
      }
    }
    await context.progress({ stage: 'uploading', message: `${rows} rows` });
    await writer.finish();
    await uploaded;
  } catch (error) {
    // Ending the body with an error makes the upload abort its multipart upload (or send
    // nothing, if it had not started one) and settle: awaited, so nothing runs on after.
    const abandoned = new Error('The export was abandoned before it was complete.');
    out.destroy(abandoned);
    const uploadFailure = await uploaded.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    if (signal.aborted) throw signal.reason;
    // An upload that failed on its own is the cause; the producer only saw its stream close.
    if (!(error instanceof JobFailure) && uploadFailure !== undefined && uploadFailure !== abandoned) {
      throw uploadFailure;
    }
    throw error;
  }
  context.logger.info('Exported jobs', { jobId, fileKey, rows, bytes: out.bytes });
  const downloadUrl = await getSignedUrl(
    deps.s3,
    new GetObjectCommand({ Bucket: deps.bucketName, Key: fileKey }),
    { expiresIn: DOWNLOAD_URL_SECONDS },
  );
  return { fileKey, downloadUrl, rows, bytes: out.bytes };
};

/** Built on the first export (not at import), so runExport can be used without the worker's settings. */
let dependencies: ExportDependencies | undefined;
const defaultDependencies = (): ExportDependencies => {
  const config = readConfig(['tableName', 'bucketName']);
  return {
    jobs: new JobStore(documentClient, config.tableName),
    s3: s3Client,
    bucketName: config.bucketName,
  };
};

export const exportJobs = (context: JobContext<DataExportPayload>) => {
  dependencies ??= defaultDependencies();
  return runExport(context, dependencies);
};
