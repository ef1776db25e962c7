import * as z from 'zod';
import { TERMINAL_STATUSES } from '../core/job-status';

/** `system.cleanup` payloads, as `POST /v1/admin/clean` takes them. */
export const cleanupPayloadSchema = z
  .object({
    status: z.enum(TERMINAL_STATUSES as readonly ['completed', 'failed', 'cancelled']),
    olderThanDays: z.number().int().min(1).max(3650),
    type: z.string().min(1).max(100).optional(),
  })
  .strict();

export type CleanupPayload = z.output<typeof cleanupPayloadSchema>;
