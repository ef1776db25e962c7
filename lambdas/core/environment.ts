/**
 * Names of the environment variables the functions read. The CDK stack imports these
 * too, so a function and the construct that configures it can never disagree on a name.
 * Nothing here reads the environment: see config.ts for that.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  /** JSON object `{ critical, high, normal, low }` of queue URLs. */
  queueUrls: 'QUEUE_URLS',
  /** JSON object `{ critical, high, normal, low }` of dead-letter queue URLs. */
  deadLetterQueueUrls: 'DLQ_URLS',
  /** JSON object `{ critical, high, normal, low }` of the workers' event source mapping UUIDs (pause/resume). */
  eventSourceMappings: 'EVENT_SOURCE_MAPPINGS',
  /** The priority a worker function serves. */
  workerPriority: 'WORKER_PRIORITY',
  /** Seconds a worker's lease on a running job lasts; its messages' visibility and renewals follow from it. */
  workerLeaseSeconds: 'WORKER_LEASE_SECONDS',
  rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  maxDelaySeconds: 'MAX_DELAY_SECONDS',
  completedRetentionDays: 'COMPLETED_RETENTION_DAYS',
  failedRetentionDays: 'FAILED_RETENTION_DAYS',
  /** https URL of the WebSocket stage's @connections management API. */
  webSocketCallbackUrl: 'WEBSOCKET_CALLBACK_URL',
  jwtIssuer: 'JWT_ISSUER',
  /** Comma-separated accepted audiences (`aud` or Cognito's `client_id`). */
  jwtAudience: 'JWT_AUDIENCE',
  jwtJwksUri: 'JWT_JWKS_URI',
  /** Sender address of email.send (an SES verified identity in AWS). */
  emailFrom: 'EMAIL_FROM',
  /** JSON object `{ "<job type>": <jobs per second> }` overriding the registry's rate limits. */
  jobRateLimits: 'JOB_RATE_LIMITS',
  /** ARN of the Secrets Manager secret that signs data.sync webhooks. */
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
  /** JSON list of the domains users may email (admins may email anyone). */
  emailRecipientDomains: 'EMAIL_RECIPIENT_DOMAINS',
  /** Recipients a user may email per UTC day. */
  emailDailyQuota: 'EMAIL_DAILY_QUOTA',
  /** Uploads a user may start per UTC day. */
  uploadsPerDay: 'UPLOADS_PER_DAY',
  /** `true` lets data.sync reach loopback addresses (the local cloud's receivers); never link-local. */
  webhookAllowLoopback: 'WEBHOOK_ALLOW_LOOPBACK',
  /** Base URL of the OpenAI-compatible API the ai.* jobs call (`…/v1`); empty: not configured. */
  aiEndpoint: 'AI_ENDPOINT',
  /** Model name the ai.* jobs ask for. */
  aiModel: 'AI_MODEL',
  /** ARN of the Secrets Manager secret holding the AI API key. */
  aiApiKeySecretArn: 'AI_API_KEY_SECRET_ARN',
  /** Tokens (estimated at submit, corrected after each call) a user may spend on ai.* jobs per UTC day. */
  aiDailyTokens: 'AI_DAILY_TOKENS',
  /**
   * Name prefix every alarm of the stack starts with (`<stack name>-<construct prefix>`), for
   * `GET /v1/admin/alarms`: CloudFormation names the alarms, so their names are not known at synth.
   */
  alarmNamePrefix: 'ALARM_NAME_PREFIX',
  /** Job type submitted by a scheduled rule (the rule's input may override it). */
  scheduledJobType: 'SCHEDULED_JOB_TYPE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
