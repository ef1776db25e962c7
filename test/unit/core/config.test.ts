import { ConfigError, readConfig } from '../../../lambdas/core/config';

const URLS = {
  critical: 'https://sqs.example.test/critical',
  high: 'https://sqs.example.test/high',
  normal: 'https://sqs.example.test/normal',
  low: 'https://sqs.example.test/low',
};

const failure = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('readConfig (settings read once, at cold start)', () => {
  test('reads only the keys asked for, from the given environment', () => {
    const config = readConfig(['tableName', 'bucketName'], { TABLE_NAME: 'jobs', BUCKET_NAME: 'files' });
    expect(config).toEqual({ tableName: 'jobs', bucketName: 'files' });
  });

  test('reads process.env when no environment is given', () => {
    expect(readConfig(['tableName'])).toEqual({ tableName: 'jobs-test' });
  });

  test('priority maps come from JSON with one URL per priority', () => {
    expect(readConfig(['queueUrls'], { QUEUE_URLS: JSON.stringify(URLS) })).toEqual({ queueUrls: URLS });
  });

  test('numeric settings are coerced from text, and fall back to their defaults when unset', () => {
    expect(readConfig(['rateLimitPerMinute', 'emailDailyQuota'], { RATE_LIMIT_PER_MINUTE: '30' })).toEqual({
      rateLimitPerMinute: 30,
      emailDailyQuota: 100,
    });
  });

  test('the worker lease is 30 s unless set, and 3–300 s when set', () => {
    expect(readConfig(['workerLeaseSeconds'], {})).toEqual({ workerLeaseSeconds: 30 });
    expect(readConfig(['workerLeaseSeconds'], { WORKER_LEASE_SECONDS: '10' })).toEqual({
      workerLeaseSeconds: 10,
    });
    for (const value of ['2', '301', '7.5'])
      expect(
        failure(() => readConfig(['workerLeaseSeconds'], { WORKER_LEASE_SECONDS: value })).message,
      ).toMatch(/^Invalid configuration: WORKER_LEASE_SECONDS: /);
  });

  test('the JWT audience is a comma-separated list, trimmed, without empty entries', () => {
    expect(readConfig(['jwtAudience'], { JWT_AUDIENCE: ' web , ,mobile,' })).toEqual({
      jwtAudience: ['web', 'mobile'],
    });
  });

  test('the JWKS URI is optional', () => {
    expect(readConfig(['jwtJwksUri'], {})).toEqual({ jwtJwksUri: undefined });
  });

  test.each([
    [undefined, false],
    ['false', false],
    ['true', true],
  ])('WEBHOOK_ALLOW_LOOPBACK=%s → %s', (value, expected) => {
    expect(readConfig(['webhookAllowLoopback'], { WEBHOOK_ALLOW_LOOPBACK: value })).toEqual({
      webhookAllowLoopback: expected,
    });
  });

  test('job rate limits default to none and otherwise come from a JSON object', () => {
    expect(readConfig(['jobRateLimits'], {})).toEqual({ jobRateLimits: {} });
    expect(readConfig(['jobRateLimits'], { JOB_RATE_LIMITS: '{"email.send":5}' })).toEqual({
      jobRateLimits: { 'email.send': 5 },
    });
  });

  test('email recipient domains default to none (refuse, never relay) and are lower-cased', () => {
    expect(readConfig(['emailRecipientDomains'], {})).toEqual({ emailRecipientDomains: [] });
    expect(readConfig(['emailRecipientDomains'], { EMAIL_RECIPIENT_DOMAINS: '["Example.COM"]' })).toEqual({
      emailRecipientDomains: ['example.com'],
    });
  });

  test('a variable that is not JSON is named with the reason', () => {
    const error = failure(() => readConfig(['jobRateLimits'], { JOB_RATE_LIMITS: '{email.send: 5}' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('Invalid configuration: JOB_RATE_LIMITS: must be a JSON object');
  });

  test('every problem is reported at once: one entry per variable, their issues joined', () => {
    const error = failure(() =>
      readConfig(['tableName', 'bucketName', 'queueUrls', 'rateLimitPerMinute'], {
        BUCKET_NAME: 'files',
        QUEUE_URLS: JSON.stringify({ critical: 'not a url', high: URLS.high }),
        RATE_LIMIT_PER_MINUTE: '0',
      }),
    );
    expect(error.message).toBe(
      'Invalid configuration: TABLE_NAME: Invalid input: expected string, received undefined' +
        ' | QUEUE_URLS: Invalid URL; Invalid input: expected string, received undefined;' +
        ' Invalid input: expected string, received undefined' +
        ' | RATE_LIMIT_PER_MINUTE: Too small: expected number to be >0',
    );
  });

  test.each([
    ['TABLE_NAME', '', 'tableName'],
    ['WORKER_PRIORITY', 'urgent', 'workerPriority'],
    ['WEBHOOK_ALLOW_LOOPBACK', 'yes', 'webhookAllowLoopback'],
    ['JOB_RATE_LIMITS', '{"email.send":0}', 'jobRateLimits'],
    ['EMAIL_RECIPIENT_DOMAINS', '[""]', 'emailRecipientDomains'],
    ['JWT_ISSUER', 'issuer', 'jwtIssuer'],
    ['MAX_DELAY_SECONDS', '1.5', 'maxDelaySeconds'],
    ['AI_ENDPOINT', 'ftp://ai.example.com', 'aiEndpoint'],
    ['AI_ENDPOINT', 'not a url', 'aiEndpoint'],
    ['AI_MODEL', '', 'aiModel'],
    ['AI_DAILY_TOKENS', '0', 'aiDailyTokens'],
  ] as const)('%s=%j is refused', (name, value, key) => {
    expect(() => readConfig([key], { [name]: value })).toThrow(
      new RegExp(`^Invalid configuration: ${name}: `),
    );
  });
});

describe('the AI settings', () => {
  test('no endpoint is allowed (the jobs then fail with AI_NOT_CONFIGURED); a trailing slash is trimmed', () => {
    expect(readConfig(['aiEndpoint', 'aiDailyTokens'], {})).toEqual({
      aiEndpoint: '',
      aiDailyTokens: 100_000,
    });
    expect(readConfig(['aiEndpoint'], { AI_ENDPOINT: 'https://api.example.com/v1/' })).toEqual({
      aiEndpoint: 'https://api.example.com/v1',
    });
  });
});
