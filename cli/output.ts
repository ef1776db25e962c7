import type { Job, JobProgress } from '../client';

/** Where a command writes, and whether a person is watching it. */
export interface Terminal {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Colours only for a person at a terminal, and never with NO_COLOR set. */
  readonly colors: boolean;
}

const COLORS = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Color = keyof typeof COLORS;

export const paint = (terminal: Pick<Terminal, 'colors'>, color: Color, text: string): string =>
  terminal.colors ? `\u001b[${COLORS[color]}m${text}\u001b[0m` : text;

const STATUS_COLORS: Readonly<Record<string, Color>> = {
  completed: 'green',
  failed: 'red',
  cancelled: 'yellow',
  retrying: 'yellow',
};

/** `text` (default: the status itself) in the status's colour. */
export const statusText = (
  terminal: Pick<Terminal, 'colors'>,
  status: string,
  text: string = status,
): string => {
  const color = STATUS_COLORS[status];
  return color ? paint(terminal, color, text) : text;
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what it strips
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, '').length;

/** Rows under a header, columns padded to their widest cell; no borders, so `awk` reads it too. */
export const formatTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
};

/** `40% parsing: page 2 of 5` from a job's progress. */
export const progressText = (progress: JobProgress | undefined): string => {
  if (!progress) return '';
  const parts = [
    progress.percent === undefined ? undefined : `${Math.round(progress.percent)}%`,
    progress.stage,
  ].filter(Boolean);
  const head = parts.join(' ');
  return progress.message ? `${head}${head ? ': ' : ''}${progress.message}` : head;
};

export const itemsText = (items: Job['items']): string =>
  items ? `items ${items.processed}/${items.total}${items.failed ? ` (${items.failed} failed)` : ''}` : '';

export const durationText = (ms: number | undefined): string => {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
};

export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** A job as `show` prints it: one field a line, JSON values indented. */
export const formatJob = (terminal: Pick<Terminal, 'colors'>, job: Job): string => {
  const lines: [string, string][] = [
    ['job', job.jobId],
    ['type', job.type],
    ['status', `${statusText(terminal, job.status)}${job.cancelRequested ? ' (cancel requested)' : ''}`],
    ['priority', `${job.priority} (${job.priorityValue})`],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['progress', progressText(job.progress)],
    ['items', itemsText(job.items)],
    ['created', job.createdAt],
    ['runs at', job.runAt ?? ''],
    ['started', job.startedAt ?? ''],
    ['finished', job.completedAt ?? ''],
    ['duration', durationText(job.durationMs)],
    ['correlation', job.correlationId ?? ''],
    ['version', String(job.version)],
  ];
  const width = Math.max(...lines.map(([name]) => name.length));
  const text = lines
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name.padEnd(width)}  ${value}`)
    .join('\n');
  const block = (title: string, value: unknown) =>
    value === undefined ? '' : `\n${title}:\n${JSON.stringify(value, null, 2).replace(/^/gm, '  ')}`;
  const error = job.error
    ? `\n${paint(terminal, 'red', `error: ${job.error.code}: ${job.error.message}`)}${job.error.retryable ? ' (retryable)' : ''}`
    : '';
  return `${text}${error}${block('payload', job.payload)}${block('result', job.result)}\n`;
};
