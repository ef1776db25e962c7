import * as z from 'zod';
import { ENV } from './environment';
import { PRIORITIES, type Priority } from './priority';

/** An environment variable holding JSON, parsed, then checked by `schema`. */
const jsonVariable = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** A JSON object with one value per priority. */
const priorityMap = <T extends z.ZodType>(value: T) =>
  jsonVariable(z.object(Object.fromEntries(PRIORITIES.map((p) => [p, value])) as Record<Priority, T>));

const priorityUrls = priorityMap(z.url());
const jsonRecordOfRates = z
  .string()
  .default('{}')
  .pipe(jsonVariable(z.record(z.string(), z.number().int().min(1).max(10_000))));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Every setting a function may read, by config key, with the variable it comes from. */
const SETTINGS = {
  tableName: [ENV.tableName, z.string().min(1)],
  bucketName: [ENV.bucketName, z.string().min(1)],
  queueUrls: [ENV.queueUrls, priorityUrls],
  deadLetterQueueUrls: [ENV.deadLetterQueueUrls, priorityUrls],
  eventSourceMappings: [ENV.eventSourceMappings, priorityMap(z.string().min(1))],
  workerPriority: [ENV.workerPriority, z.enum(PRIORITIES)],
  // At least 3 s (renewals every second); at most 5 minutes (a crash is then found in 10).
  workerLeaseSeconds: [ENV.workerLeaseSeconds, z.coerce.number().int().min(3).max(300).default(30)],
  rateLimitPerMinute: [ENV.rateLimitPerMinute, positiveInt(120)],
  maxUploadBytes: [ENV.maxUploadBytes, positiveInt(10 * 1024 * 1024)],
  maxDelaySeconds: [ENV.maxDelaySeconds, positiveInt(7 * 24 * 3600)],
  completedRetentionDays: [ENV.completedRetentionDays, positiveInt(7)],
  failedRetentionDays: [ENV.failedRetentionDays, positiveInt(30)],
  webSocketCallbackUrl: [ENV.webSocketCallbackUrl, z.url()],
  jwtIssuer: [ENV.jwtIssuer, z.url()],
  jwtAudience: [
    ENV.jwtAudience,
    z.string().transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ],
  jwtJwksUri: [ENV.jwtJwksUri, z.url().optional()],
  emailFrom: [ENV.emailFrom, z.string().min(3).max(320)],
  webhookSecretArn: [ENV.webhookSecretArn, z.string().min(1)],
  webhookAllowLoopback: [
    ENV.webhookAllowLoopback,
    z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
  ],
  jobRateLimits: [ENV.jobRateLimits, jsonRecordOfRates],
  // Unset means no domain: a function that forgets the variable refuses, never relays.
  emailRecipientDomains: [
    ENV.emailRecipientDomains,
    z
      .string()
      .default('[]')
      .pipe(jsonVariable(z.array(z.string().min(1).max(253).toLowerCase()).max(1000))),
  ],
  emailDailyQuota: [ENV.emailDailyQuota, positiveInt(100)],
  uploadsPerDay: [ENV.uploadsPerDay, positiveInt(200)],
  // Empty or unset: no provider configured (the ai.* jobs fail with AI_NOT_CONFIGURED).
  aiEndpoint: [
    ENV.aiEndpoint,
    z
      .string()
      .default('')
      .pipe(z.union([z.literal(''), z.url({ protocol: /^https?$/ })]))
      .transform((url) => url.replace(/\/+$/, '')),
  ],
  aiModel: [ENV.aiModel, z.string().min(1).max(200)],
  // Unset without an endpoint (the stack makes no secret then); ai-runtime requires it with one.
  aiApiKeySecretArn: [ENV.aiApiKeySecretArn, z.string().default('')],
  aiDailyTokens: [ENV.aiDailyTokens, positiveInt(100_000)],
  alarmNamePrefix: [ENV.alarmNamePrefix, z.string().min(1).max(255)],
} as const;

type Settings = typeof SETTINGS;
export type ConfigKey = keyof Settings;
export type Config<K extends ConfigKey> = { readonly [P in K]: z.output<Settings[P][1]> };

export class ConfigError extends Error {}

/**
 * Reads and validates the settings a function needs, once, at cold start: a missing or
 * malformed variable fails the first invocation loudly instead of a job later.
 */
export const readConfig = <K extends ConfigKey>(
  keys: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Config<K> => {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const key of keys) {
    const [name, schema] = SETTINGS[key];
    const parsed = (schema as z.ZodType).safeParse(env[name]);
    if (parsed.success) config[key] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join(' | ')}`);
  return config as Config<K>;
};
