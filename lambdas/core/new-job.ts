import { monotonicFactory } from 'ulidx';
import { findJobType } from '../jobs/registry';
import { MAX_ATTEMPTS_LIMIT, type SubmitRequest, submitRequestSchema } from './contract';
import { ForbiddenError, ValidationError } from './errors';
import type { JobRecord } from './job';
import { jsonBoundsIssues } from './json-bounds';
import { PRIORITY_VALUES, priorityBand } from './priority';
import { parseOrThrow } from './validation';

export { MAX_ATTEMPTS_LIMIT, type SubmitRequest, submitRequestSchema };

const nextJobId = monotonicFactory();

/** Fields whose client-chosen JSON is stored as sent, so their shape is bounded first. */
const STORED_JSON_FIELDS = ['payload', 'metadata', 'entity'] as const;

/**
 * Refuses stored fields nested too deep or holding numbers that JSON cannot carry exactly,
 * before zod or anything recursive sees them (see json-bounds.ts).
 */
const assertStorableJson = (body: unknown): void => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const submission = body as Record<string, unknown>;
  const issues = STORED_JSON_FIELDS.flatMap((field) =>
    Object.hasOwn(submission, field) ? jsonBoundsIssues(submission[field], field) : [],
  );
  if (issues.length > 0) throw new ValidationError('The job submission is invalid.', issues);
};

export interface NewJobOptions {
  readonly userId: string;
  /** The submitter is an admin (or the stack itself): admin-only options and system types pass. */
  readonly isAdmin?: boolean;
  readonly now: Date;
  /** Longest delay accepted. */
  readonly maxDelaySeconds: number;
  /** Used when the request has no correlationId (e.g. the gateway's request id). */
  readonly defaultCorrelationId?: string;
}

/**
 * Validates a submission against the contract and the type's own schema and builds the
 * job to store: `queued`, or `delayed` until `runAt`.
 */
export const newJob = (body: unknown, options: NewJobOptions): JobRecord => {
  assertStorableJson(body);
  const request = parseOrThrow(submitRequestSchema, body, 'The job submission is invalid.');
  const type = findJobType(request.type);
  if (!type) {
    throw new ValidationError(`Unknown job type "${request.type}".`, [
      { field: 'type', message: 'not a registered job type' },
    ]);
  }
  const payload = parseOrThrow(
    type.schema,
    request.payload,
    `The payload is invalid for ${type.name}.`,
    'payload',
  );

  const isAdmin = options.isAdmin === true;
  if (type.system && !isAdmin) {
    throw new ForbiddenError(`${type.name} is a system job type: the stack submits it, users cannot.`, {
      rule: 'systemJobType',
    });
  }
  type.authorize?.(payload, { id: options.userId, isAdmin });
  const supersedes = type.supersedes?.(payload, options.userId);

  const nowMs = options.now.getTime();
  let runAtMs = nowMs;
  if (request.delaySeconds !== undefined) runAtMs = nowMs + request.delaySeconds * 1000;
  if (request.runAt !== undefined) runAtMs = Math.max(Date.parse(request.runAt), nowMs);
  if (runAtMs - nowMs > options.maxDelaySeconds * 1000) {
    const field = request.runAt !== undefined ? 'runAt' : 'delaySeconds';
    throw new ValidationError('The delay is too long.', [
      { field, message: `must be at most ${options.maxDelaySeconds} seconds from now` },
    ]);
  }

  const priorityValue =
    typeof request.priority === 'number'
      ? request.priority
      : PRIORITY_VALUES[request.priority ?? type.defaultPriority];
  // A system type runs on its own band's worker, the one granted what it needs (e.g.
  // system.cleanup's Scan and file deletes are the low worker's only).
  if (type.system && priorityBand(priorityValue) !== type.defaultPriority) {
    throw new ValidationError(`${type.name} runs at ${type.defaultPriority} priority.`, [
      { field: 'priority', message: `must be in the ${type.defaultPriority} band for a system job type` },
    ]);
  }
  const createdAt = options.now.toISOString();
  const jobId = nextJobId(nowMs);
  const delayed = runAtMs > nowMs;
  const correlationId = request.correlationId ?? options.defaultCorrelationId;
  return {
    jobId,
    userId: options.userId,
    type: type.name,
    status: delayed ? 'delayed' : 'queued',
    priority: priorityBand(priorityValue),
    priorityValue,
    payload,
    attempts: 0,
    maxAttempts: request.maxAttempts ?? type.maxAttempts,
    ...(correlationId ? { correlationId } : {}),
    ...(request.entity ? { entity: request.entity } : {}),
    ...(request.metadata ? { metadata: request.metadata } : {}),
    ...(supersedes ? { supersedes } : {}),
    // Kept so the worker can check admin-only options again before it runs the job.
    ...(isAdmin ? { submittedByAdmin: true } : {}),
    createdAt,
    updatedAt: createdAt,
    ...(delayed ? { runAt: new Date(runAtMs).toISOString() } : {}),
    events: [{ at: createdAt, from: null, to: delayed ? 'delayed' : 'queued', attempt: 0 }],
    version: 1,
  };
};
