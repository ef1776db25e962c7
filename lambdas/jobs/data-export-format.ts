import { type JobRecord, toJobView } from '../core/job';

/** A cell of a CSV or XLSX row: text, a number, or nothing (an empty cell). */
export type Cell = string | number | undefined;

/**
 * The columns of a CSV or XLSX export, in order: what a user sorts and filters a job list
 * by. Payloads and results are left out: they are arbitrary nested JSON (no column
 * shape), may be hundreds of KB or offloaded to S3 (an Excel cell holds 32,767 characters),
 * and a spreadsheet is the file most likely to be forwarded — JSON Lines carries them.
 */
export const EXPORT_COLUMNS: readonly {
  readonly name: string;
  readonly value: (job: JobRecord) => Cell;
}[] = [
  { name: 'jobId', value: (job) => job.jobId },
  { name: 'type', value: (job) => job.type },
  { name: 'status', value: (job) => job.status },
  { name: 'priority', value: (job) => job.priority },
  { name: 'priorityValue', value: (job) => job.priorityValue },
  { name: 'attempts', value: (job) => job.attempts },
  { name: 'maxAttempts', value: (job) => job.maxAttempts },
  { name: 'createdAt', value: (job) => job.createdAt },
  { name: 'runAt', value: (job) => job.runAt },
  { name: 'startedAt', value: (job) => job.startedAt },
  { name: 'completedAt', value: (job) => job.completedAt },
  { name: 'durationMs', value: (job) => job.durationMs },
  { name: 'correlationId', value: (job) => job.correlationId },
  { name: 'errorCode', value: (job) => job.error?.code },
  { name: 'errorMessage', value: (job) => job.error?.message },
];

/** First characters that make a spreadsheet read a text cell as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text a spreadsheet shows as text: one starting like a formula gets a leading apostrophe
 * (OWASP's CSV-injection advice). Correlation ids and error messages come from callers
 * and third parties, so they may be hostile.
 */
export const neutralizeFormula = (text: string): string => (FORMULA_START.test(text) ? `'${text}` : text);

/** One CSV field, RFC 4180: quoted when it holds a quote, comma, CR or LF; quotes doubled. */
export const csvField = (cell: Cell): string => {
  if (cell === undefined) return '';
  if (typeof cell === 'number') return String(cell);
  const text = neutralizeFormula(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** One CSV record with its CRLF line break (RFC 4180). */
export const csvRecord = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

export const csvHeader = (): string => csvRecord(EXPORT_COLUMNS.map((column) => column.name));

export const csvRow = (job: JobRecord): string =>
  csvRecord(EXPORT_COLUMNS.map((column) => column.value(job)));

/** An XLSX row: numbers stay numbers, text is neutralized like CSV's, empty cells stay empty. */
export const xlsxRow = (job: JobRecord): (string | number | null)[] =>
  EXPORT_COLUMNS.map((column) => {
    const cell = column.value(job);
    if (cell === undefined) return null;
    return typeof cell === 'number' ? cell : neutralizeFormula(cell);
  });

/**
 * One JSON Lines record: the job as `GET /v1/jobs` lists it. A payload or result that was
 * offloaded to S3 (claim check) is not fetched — one S3 read per row would cost more than
 * the export — but marked (`payloadOmitted`, `resultOmitted`): `GET /v1/jobs/{jobId}` has it.
 */
export const jsonLine = (job: JobRecord): string =>
  `${JSON.stringify({
    ...toJobView(job),
    ...(job.payloadRef ? { payloadOmitted: true } : {}),
    ...(job.resultRef ? { resultOmitted: true } : {}),
  })}\n`;
