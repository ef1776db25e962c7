// Environment every unit test runs with: what the stack would set, pointing nowhere real.
// AWS calls are mocked with aws-sdk-client-mock; nothing here reaches a network.
Object.assign(process.env, {
  AWS_REGION: 'eu-west-1',
  // Node 20 on this machine; Lambda runs Node 22. The SDK's upgrade notice is noise here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TABLE_NAME: 'jobs-test',
  BUCKET_NAME: 'files-test',
  QUEUE_URLS: JSON.stringify({
    critical: 'https://sqs.eu-west-1.amazonaws.com/123456789012/critical',
    high: 'https://sqs.eu-west-1.amazonaws.com/123456789012/high',
    normal: 'https://sqs.eu-west-1.amazonaws.com/123456789012/normal',
    low: 'https://sqs.eu-west-1.amazonaws.com/123456789012/low',
  }),
  DLQ_URLS: JSON.stringify({
    critical: 'https://sqs.eu-west-1.amazonaws.com/123456789012/critical-dlq',
    high: 'https://sqs.eu-west-1.amazonaws.com/123456789012/high-dlq',
    normal: 'https://sqs.eu-west-1.amazonaws.com/123456789012/normal-dlq',
    low: 'https://sqs.eu-west-1.amazonaws.com/123456789012/low-dlq',
  }),
  EVENT_SOURCE_MAPPINGS: JSON.stringify({ critical: 'esm-c', high: 'esm-h', normal: 'esm-n', low: 'esm-l' }),
  WORKER_PRIORITY: 'normal',
  // The local cloud's rule: users may mail example.com only.
  EMAIL_RECIPIENT_DOMAINS: JSON.stringify(['example.com']),
  RATE_LIMIT_PER_MINUTE: '120',
  MAX_UPLOAD_BYTES: String(10 * 1024 * 1024),
  MAX_DELAY_SECONDS: String(7 * 24 * 3600),
  WEBSOCKET_CALLBACK_URL: 'https://ws.example.test/prod',
  // The AI provider's model and key secret; no AI_ENDPOINT: the ai.* jobs are not configured.
  AI_MODEL: 'test-model',
  AI_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ai-key',
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks',
  ALARM_NAME_PREFIX: 'JobQueue-Monitoring',
  JWT_ISSUER: 'https://issuer.example.test',
  JWT_AUDIENCE: 'jobqueue-test',
  JWT_JWKS_URI: 'https://issuer.example.test/.well-known/jwks.json',
  POWERTOOLS_SERVICE_NAME: 'jobqueue-test',
  POWERTOOLS_METRICS_NAMESPACE: 'jobqueue-test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_DEV: 'false',
});
