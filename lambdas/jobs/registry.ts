import * as z from 'zod';
import { ForbiddenError } from '../core/errors';
import { aiCompletePayloadSchema, ENHANCE_RESUME_RESERVED_TOKENS, reservedTokensOf } from './ai/ai-payload';
import { dataExportSchema, exportFileKeys } from './data-export-payload';
import { syncEntityKey } from './data-sync-key';
import { allowedRecipientDomains, recipientsOf, requireAllowedRecipients } from './email-policy';
import { defineJobType, type JobTypeDefinition } from './job-type';
import { PDF_TEMPLATES, pdfRenderSchema, renderedFileKey } from './pdf-render-schema';
import type { AnalyzePayload } from './resume/analyze';
import { requireOwnUpload } from './resume/uploads';
import { cleanupPayloadSchema } from './system-cleanup-payload';
import { authorizeUserNotify, userNotifyPayloadSchema } from './user-notify-payload';
import { webhookUrlSchema } from './webhook-address';

/** An upload key as `POST /v1/uploads` returns it. */
const fileKey = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^uploads\//, 'must be a fileKey from POST /v1/uploads');

const resumeInput = z.union([
  z.object({ fileKey }).strict(),
  z.object({ text: z.string().min(1).max(100_000) }).strict(),
]);
const jobDescription = z
  .object({
    id: z.string().min(1).max(128),
    title: z.string().min(1).max(300),
    text: z.string().min(1).max(20_000),
  })
  .strict();

const ONE_RESUME = ['resume', 'jobDescriptions'] as const;
const RANKING = ['resumes', 'jobDescription'] as const;
const FORMS_MESSAGE =
  'give exactly one form: `resume` with `jobDescriptions`, or `resumes` with `jobDescription`';

/**
 * resume.analyze: one resume × 1–100 descriptions, or 1–100 resumes × one description
 * (ranked). Exactly one form; a mix or neither is a 400 naming the fields concerned.
 */
export const resumeAnalyzeSchema = z
  .object({
    resume: resumeInput.optional(),
    jobDescriptions: z.array(jobDescription).min(1).max(100).optional(),
    resumes: z.array(resumeInput).min(1).max(100).optional(),
    jobDescription: jobDescription.optional(),
  })
  .strict()
  .superRefine((payload, context) => {
    const given = (fields: readonly (keyof typeof payload)[]) =>
      fields.filter((field) => payload[field] !== undefined);
    const one = given(ONE_RESUME);
    const ranking = given(RANKING);
    if (one.length > 0 && ranking.length > 0) {
      for (const field of [...one, ...ranking]) {
        context.addIssue({ code: 'custom', path: [field], message: FORMS_MESSAGE });
      }
      return;
    }
    const form = ranking.length > 0 ? RANKING : ONE_RESUME;
    const present = ranking.length > 0 ? ranking : one;
    if (present.length === 0) {
      for (const field of [...ONE_RESUME, ...RANKING]) {
        context.addIssue({ code: 'custom', path: [field], message: FORMS_MESSAGE });
      }
      return;
    }
    for (const field of form) {
      if (!present.includes(field)) context.addIssue({ code: 'custom', path: [field], message: 'required' });
    }
  })
  // Exactly one form is present once the checks above pass.
  .transform((payload) => payload as AnalyzePayload);

/**
 * The job handlers' code, for the functions that run jobs. `JobQueueFunction` sets
 * JOBQUEUE_RUNS_JOBS to "false" in the others (the API, the schedules, the sweep…) and bakes
 * that literal into their bundles (esbuild define): the `import()` then sits in a branch
 * never taken, and esbuild leaves the handlers' modules — pdfkit, fontkit, the resume
 * parsers — out of those bundles. (The condition must be written here, on the import
 * itself: esbuild drops only imports in branches dead at parse time.) Unset (tests) means yes.
 */
const handlers = (): Promise<typeof import('./handlers')> =>
  process.env.JOBQUEUE_RUNS_JOBS === 'false'
    ? Promise.reject(new Error('This function does not run jobs: its bundle has no job handlers.'))
    : import('./handlers');

const DEFAULT_BACKOFF = { baseSeconds: 2, maxSeconds: 3600 } as const;

/** Header injection: a CR or LF would let a value start a new mail header. */
const noLineBreaks = (text: string) => !/[\r\n]/.test(text);
const LINE_BREAK_MESSAGE = 'must not contain CR or LF';
const emailAddress = z.email().max(320).refine(noLineBreaks, LINE_BREAK_MESSAGE);

/**
 * The one list of job types. The API validates payloads with `schema`, the worker runs
 * `load()`, and the CDK stack sizes worker timeouts from `timeoutSeconds`.
 */
const definitions: readonly JobTypeDefinition[] = [
  defineJobType({
    name: 'system.simulate',
    defaultPriority: 'normal',
    maxAttempts: 3,
    timeoutSeconds: 60,
    backoff: DEFAULT_BACKOFF,
    schema: z
      .object({
        durationMs: z.number().int().min(0).max(600_000).default(0),
        steps: z.number().int().min(1).max(1000).default(1),
        failAttempts: z.number().int().min(0).max(25).default(0),
        failWith: z.enum(['retryable', 'fatal']).default('retryable'),
        crash: z.boolean().default(false),
        result: z.unknown().optional(),
      })
      .strict(),
    // Ending the worker's process is a diagnostic of the stall sweep, not a user's tool.
    authorize: (payload, caller) => {
      if (payload.crash && !caller.isAdmin) {
        throw new ForbiddenError('`crash` is an admin-only diagnostic option.', { rule: 'adminOnlyOption' });
      }
    },
    mayEndProcess: (payload) => payload.crash,
    load: async () => (await handlers()).simulate(),
  }),
  defineJobType({
    name: 'resume.extract',
    defaultPriority: 'high',
    maxAttempts: 3,
    timeoutSeconds: 60,
    backoff: DEFAULT_BACKOFF,
    schema: z.object({ fileKey }).strict(),
    authorize: (payload, caller) => requireOwnUpload(payload.fileKey, caller.id),
    load: async () => (await handlers()).extractResume(),
  }),
  defineJobType({
    name: 'resume.analyze',
    defaultPriority: 'normal',
    maxAttempts: 3,
    timeoutSeconds: 300,
    backoff: DEFAULT_BACKOFF,
    schema: resumeAnalyzeSchema,
    authorize: (payload, caller) => {
      const resumes = 'resumes' in payload ? payload.resumes : [payload.resume];
      for (const resume of resumes) if ('fileKey' in resume) requireOwnUpload(resume.fileKey, caller.id);
    },
    bulkItems: (payload) => ('resumes' in payload ? payload.resumes : payload.jobDescriptions).length,
    load: async () => (await handlers()).analyzeResume(),
  }),
  defineJobType({
    name: 'pdf.render',
    defaultPriority: 'high',
    maxAttempts: 3,
    timeoutSeconds: 30,
    backoff: DEFAULT_BACKOFF,
    schema: pdfRenderSchema,
    outputKeys: (job) => PDF_TEMPLATES.map((template) => renderedFileKey(job, template)),
    load: async () => (await handlers()).renderPdfJob(),
  }),
  defineJobType({
    name: 'email.send',
    defaultPriority: 'low',
    maxAttempts: 5,
    timeoutSeconds: 10,
    backoff: DEFAULT_BACKOFF,
    // SES's default sending rate for a production account; configurable per stack.
    rateLimit: { perSecond: 14 },
    schema: z
      .object({
        to: z.union([emailAddress, z.array(emailAddress).min(1).max(50)]),
        subject: z.string().min(1).max(998).refine(noLineBreaks, LINE_BREAK_MESSAGE),
        text: z.string().min(1).max(200_000),
        html: z.string().min(1).max(200_000).optional(),
      })
      .strict(),
    authorize: (payload, caller) => requireAllowedRecipients(payload.to, caller, allowedRecipientDomains()),
    // Each recipient is one message sent from the stack's identity.
    dailyQuota: { name: 'emails', amount: (payload) => recipientsOf(payload.to).length },
    load: async () => (await handlers()).sendEmail(),
  }),
  defineJobType({
    name: 'data.sync',
    defaultPriority: 'normal',
    maxAttempts: 25,
    timeoutSeconds: 120,
    backoff: DEFAULT_BACKOFF,
    // Partner webhooks are not built for bursts; configurable per stack.
    rateLimit: { perSecond: 20 },
    schema: z
      .object({
        entity: z.object({ name: z.string().min(1).max(128), id: z.string().min(1).max(256) }).strict(),
        version: z.number().int().min(0),
        url: webhookUrlSchema,
        data: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    supersedes: (payload, userId) => ({
      key: syncEntityKey(userId, payload.entity),
      version: payload.version,
    }),
    load: async () => (await handlers()).syncEntity(),
  }),
  defineJobType({
    name: 'user.notify',
    defaultPriority: 'high',
    maxAttempts: 3,
    timeoutSeconds: 10,
    backoff: DEFAULT_BACKOFF,
    schema: userNotifyPayloadSchema,
    // Users notify only themselves; admins anyone (checked again by the worker).
    authorize: authorizeUserNotify,
    load: async () => (await handlers()).notifyUser(),
  }),
  defineJobType({
    name: 'data.export',
    defaultPriority: 'low',
    maxAttempts: 3,
    timeoutSeconds: 300,
    backoff: DEFAULT_BACKOFF,
    // Looked up when a payload is parsed, by then the registry is complete.
    schema: dataExportSchema((name) => byName.has(name)),
    outputKeys: exportFileKeys,
    load: async () => (await handlers()).exportJobs(),
  }),
  defineJobType({
    name: 'ai.complete',
    defaultPriority: 'normal',
    maxAttempts: 5,
    timeoutSeconds: 120,
    backoff: DEFAULT_BACKOFF,
    // A provider's requests-per-second tier; configurable per stack (jobqueue:jobRateLimits).
    rateLimit: { perSecond: 10 },
    schema: aiCompletePayloadSchema,
    // The prompt's estimate plus the completion allowed; settled to the real count after the call.
    dailyQuota: { name: 'aiTokens', amount: reservedTokensOf },
    load: async () => (await handlers()).aiComplete(),
  }),
  defineJobType({
    name: 'ai.enhanceResume',
    defaultPriority: 'normal',
    maxAttempts: 3,
    timeoutSeconds: 180,
    backoff: DEFAULT_BACKOFF,
    rateLimit: { perSecond: 10 },
    schema: z.object({ fileKey }).strict(),
    authorize: (payload, caller) => requireOwnUpload(payload.fileKey, caller.id),
    // The prompt is built from the file in the worker: a fixed estimate, settled after the calls.
    dailyQuota: { name: 'aiTokens', amount: () => ENHANCE_RESUME_RESERVED_TOKENS },
    load: async () => (await handlers()).aiEnhanceResume(),
  }),
  defineJobType({
    name: 'analytics.rollup',
    system: true,
    defaultPriority: 'low',
    maxAttempts: 3,
    timeoutSeconds: 120,
    backoff: DEFAULT_BACKOFF,
    schema: z
      .object({
        /** ISO instant inside the window to roll up; defaults to the job's start. */
        at: z.iso.datetime().optional(),
      })
      .strict(),
    load: async () => (await handlers()).rollup(),
  }),
  defineJobType({
    name: 'system.cleanup',
    system: true,
    defaultPriority: 'low',
    maxAttempts: 3,
    timeoutSeconds: 300,
    backoff: DEFAULT_BACKOFF,
    schema: cleanupPayloadSchema,
    load: async () => (await handlers()).cleanup(),
  }),
];

const byName = new Map<string, JobTypeDefinition>(
  definitions.map((definition) => [definition.name, definition]),
);

/** The definition of `name`, or undefined for an unregistered type. */
export const findJobType = (name: string): JobTypeDefinition | undefined => byName.get(name);

export const jobTypeNames = (): string[] => [...byName.keys()];

/** The longest timeout of any type: a worker function must outlive it. */
export const maxJobTimeoutSeconds = (): number =>
  Math.max(...[...byName.values()].map((definition) => definition.timeoutSeconds));
