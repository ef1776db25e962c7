import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Node } from 'constructs';
import { PRIORITIES, type Priority } from '../lambdas/core/priority';
import type { AlarmSet } from './constructs/monitoring';
import type { JobQueueStackProps } from './job-queue-stack';

/** A cdk.json / `-c` value that cannot be used; names the key and the value. */
export class ContextError extends Error {
  constructor(key: string, value: unknown, expected: string) {
    super(`Context ${key} must be ${expected}, got ${JSON.stringify(value)}`);
    this.name = 'ContextError';
  }
}

/** `-c key=value` arrives as a string; cdk.json as JSON. Accept both. */
const parsed = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

const optionalNumber = (node: Node, key: string): number | undefined => {
  const value = parsed(node.tryGetContext(key));
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ContextError(key, value, 'a number');
  return value;
};

const optionalBoolean = (node: Node, key: string): boolean | undefined => {
  const value = parsed(node.tryGetContext(key));
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ContextError(key, value, 'true or false');
  return value;
};

const optionalStrings = (node: Node, key: string): string[] | undefined => {
  const value = parsed(node.tryGetContext(key));
  if (value === undefined) return undefined;
  if (typeof value === 'string')
    return value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  if (!Array.isArray(value) || !value.every((part) => typeof part === 'string')) {
    throw new ContextError(key, value, 'a list of strings');
  }
  return value;
};

/** `jobqueue:tracing`: `"active"` records every invocation in X-Ray; `"off"` (the default) none. */
const tracingMode = (node: Node): lambda.Tracing | undefined => {
  const value = parsed(node.tryGetContext('jobqueue:tracing'));
  if (value === undefined || value === 'off') return undefined;
  if (value === 'active') return lambda.Tracing.ACTIVE;
  throw new ContextError('jobqueue:tracing', value, '"active" or "off"');
};

/** `jobqueue:alarms`: `"essential"` (the default) or `"all"`. */
const alarmSet = (node: Node): AlarmSet | undefined => {
  const value = parsed(node.tryGetContext('jobqueue:alarms'));
  if (value === undefined || value === 'essential' || value === 'all') return value;
  throw new ContextError('jobqueue:alarms', value, '"essential" or "all"');
};

/** Reads the `jobqueue:*` context keys into stack props, failing synth on bad values. */
export const stackPropsFromContext = (node: Node): JobQueueStackProps & { nag: boolean } => {
  const concurrencyValue = parsed(node.tryGetContext('jobqueue:concurrency'));
  let concurrency: Partial<Record<Priority, number>> | undefined;
  if (concurrencyValue !== undefined) {
    if (
      typeof concurrencyValue !== 'object' ||
      concurrencyValue === null ||
      Array.isArray(concurrencyValue)
    ) {
      throw new ContextError('jobqueue:concurrency', concurrencyValue, 'an object of priority → number');
    }
    concurrency = {};
    for (const [priority, value] of Object.entries(concurrencyValue)) {
      if (!(PRIORITIES as readonly string[]).includes(priority)) {
        throw new ContextError('jobqueue:concurrency', concurrencyValue, `keyed by ${PRIORITIES.join(', ')}`);
      }
      if (typeof value !== 'number')
        throw new ContextError(`jobqueue:concurrency.${priority}`, value, 'a number');
      concurrency[priority as Priority] = value;
    }
  }
  const issuer = node.tryGetContext('jobqueue:jwtIssuer') as unknown;
  const audience = optionalStrings(node, 'jobqueue:jwtAudience');
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new ContextError('jobqueue:jwtIssuer/jwtAudience', { issuer, audience }, 'given together');
  }
  if (issuer !== undefined && typeof issuer !== 'string')
    throw new ContextError('jobqueue:jwtIssuer', issuer, 'a URL');
  const jwksUri = node.tryGetContext('jobqueue:jwtJwksUri') as string | undefined;
  const emailFrom = node.tryGetContext('jobqueue:emailFrom') as unknown;
  if (emailFrom !== undefined && typeof emailFrom !== 'string')
    throw new ContextError('jobqueue:emailFrom', emailFrom, 'an email address');
  const alarmEmail = node.tryGetContext('jobqueue:alarmEmail') as unknown;
  if (alarmEmail !== undefined && typeof alarmEmail !== 'string')
    throw new ContextError('jobqueue:alarmEmail', alarmEmail, 'an email address');
  const aiEndpoint = node.tryGetContext('jobqueue:aiEndpoint') as unknown;
  if (aiEndpoint !== undefined && typeof aiEndpoint !== 'string')
    throw new ContextError('jobqueue:aiEndpoint', aiEndpoint, 'an https URL');
  const aiModel = node.tryGetContext('jobqueue:aiModel') as unknown;
  if (aiModel !== undefined && typeof aiModel !== 'string')
    throw new ContextError('jobqueue:aiModel', aiModel, 'a model name');
  const rates = parsed(node.tryGetContext('jobqueue:jobRateLimits'));
  if (
    rates !== undefined &&
    (typeof rates !== 'object' ||
      rates === null ||
      Array.isArray(rates) ||
      !Object.values(rates).every((value) => typeof value === 'number'))
  ) {
    throw new ContextError('jobqueue:jobRateLimits', rates, 'an object of job type → jobs per second');
  }
  return {
    concurrency,
    rateLimitPerMinute: optionalNumber(node, 'jobqueue:rateLimitPerMinute'),
    maxUploadBytes: optionalNumber(node, 'jobqueue:maxUploadBytes'),
    deletionProtection: optionalBoolean(node, 'jobqueue:deletionProtection'),
    corsAllowOrigins: optionalStrings(node, 'jobqueue:corsAllowOrigins'),
    completedRetentionDays: optionalNumber(node, 'jobqueue:completedRetentionDays'),
    failedRetentionDays: optionalNumber(node, 'jobqueue:failedRetentionDays'),
    externalIssuer:
      typeof issuer === 'string' && audience
        ? { issuer, audience, ...(jwksUri ? { jwksUri } : {}) }
        : undefined,
    emailFrom: emailFrom as string | undefined,
    jobRateLimits: rates as Record<string, number> | undefined,
    emailRecipientDomains: optionalStrings(node, 'jobqueue:emailRecipientDomains'),
    emailDailyQuota: optionalNumber(node, 'jobqueue:emailDailyQuota'),
    uploadsPerDay: optionalNumber(node, 'jobqueue:uploadsPerDay'),
    webhookAllowLoopback: optionalBoolean(node, 'jobqueue:webhookAllowLoopback'),
    tracing: tracingMode(node),
    alarms: alarmSet(node),
    dashboard: optionalBoolean(node, 'jobqueue:dashboard'),
    dashboardSite: optionalBoolean(node, 'jobqueue:dashboardSite'),
    alarmEmail: alarmEmail as string | undefined,
    workerLeaseSeconds: optionalNumber(node, 'jobqueue:workerLeaseSeconds'),
    // An empty string (e.g. `-c jobqueue:aiEndpoint=`) is the same as none.
    aiEndpoint: aiEndpoint === '' ? undefined : (aiEndpoint as string | undefined),
    aiModel: aiModel as string | undefined,
    aiDailyTokens: optionalNumber(node, 'jobqueue:aiDailyTokens'),
    nag: optionalBoolean(node, 'jobqueue:nag') ?? true,
  };
};
