import * as z from 'zod';
import { JOB_STATUSES } from '../core/job-status';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A UTC date (`2026-11-30`) or date-time (`2026-11-30T12:00:00Z`); anything with an offset is refused. */
const utcDateOrTime = z.union([z.iso.date(), z.iso.datetime()], {
  error: 'must be a UTC date YYYY-MM-DD or date-time YYYY-MM-DDTHH:mm:ss(.sss)Z',
});

/** The first millisecond a bound covers: a date means its whole day. */
const startOf = (bound: string): string =>
  DATE_ONLY.test(bound) ? `${bound}T00:00:00.000Z` : new Date(bound).toISOString();
const endOf = (bound: string): string =>
  DATE_ONLY.test(bound) ? `${bound}T23:59:59.999Z` : new Date(bound).toISOString();

/**
 * `data.export` payloads. `type` must name a registered job type (`isKnownType`, given by the
 * registry so this module does not import it): a typo would otherwise export an empty file.
 * `from` and `to` bound `createdAt`, both inclusive; a date covers its whole UTC day. The
 * parsed payload is stored as given (the worker parses it again), so no transform here:
 * `createdRange` turns the bounds into instants.
 */
export const dataExportSchema = (isKnownType: (name: string) => boolean) =>
  z
    .object({
      format: z.enum(EXPORT_FORMATS),
      status: z.enum(JOB_STATUSES).optional(),
      type: z.string().min(1).max(100).refine(isKnownType, 'must be a registered job type').optional(),
      from: utcDateOrTime.optional(),
      to: utcDateOrTime.optional(),
    })
    .strict()
    .superRefine((payload, context) => {
      if (payload.from && payload.to && startOf(payload.from) > endOf(payload.to)) {
        context.addIssue({ code: 'custom', path: ['to'], message: 'must not be before `from`' });
      }
    });

export type DataExportPayload = z.output<ReturnType<typeof dataExportSchema>>;

/** The payload's bounds as millisecond ISO instants, the form jobs' `createdAt` has. */
export const createdRange = (payload: {
  readonly from?: string;
  readonly to?: string;
}): { createdFrom?: string; createdTo?: string } => ({
  ...(payload.from ? { createdFrom: startOf(payload.from) } : {}),
  ...(payload.to ? { createdTo: endOf(payload.to) } : {}),
});

const EXTENSIONS: Readonly<Record<ExportFormat, string>> = { csv: 'csv', jsonl: 'jsonl', xlsx: 'xlsx' };

/** Where an export is stored: it depends only on the job and its format (a retry overwrites). */
export const exportFileKey = (
  job: { readonly jobId: string; readonly userId: string },
  format: ExportFormat,
) => `exports/${job.userId}/${job.jobId}.${EXTENSIONS[format]}`;

/** Every key an export job may write (its format is not known to whoever removes it). */
export const exportFileKeys = (job: { readonly jobId: string; readonly userId: string }): string[] =>
  EXPORT_FORMATS.map((format) => exportFileKey(job, format));
