import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, JOB_ID, NOW, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
});

const ADMIN = '[admin]';

const submit = (body: unknown, options: { groups?: string; emailDailyQuota?: number } = {}) =>
  route(
    httpEvent('POST /v1/jobs', '/v1/jobs', { body, groups: options.groups }),
    apiDependencies({ emailDailyQuota: options.emailDailyQuota }),
  );

const errorOf = (result: Awaited<ReturnType<typeof route>>) => parse(result.body).error;

const savedJobs = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);

/** The windowed-counter updates sent, by key. */
const counterUpdates = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.UpdateExpression).startsWith('ADD #count'));

describe('admin-only diagnostics and system types', () => {
  const crash = { type: 'system.simulate', payload: { crash: true } };

  test('a user asking for crash gets 403 FORBIDDEN and nothing is saved', async () => {
    const result = await submit(crash);
    expect(result.statusCode).toBe(403);
    expect(errorOf(result)).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'adminOnlyOption' } });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('an admin may crash a worker; the job records that an admin submitted it', async () => {
    const result = await submit(crash, { groups: ADMIN });
    expect(result.statusCode).toBe(202);
    expect(savedJobs()[0]).toMatchObject({ submittedByAdmin: true, payload: { crash: true } });
    expect(parse(result.body)).not.toHaveProperty('submittedByAdmin');
  });

  test("a user's ordinary job carries no admin mark", async () => {
    await submit({ type: 'system.simulate', payload: {} });
    expect(savedJobs()[0]).not.toHaveProperty('submittedByAdmin');
  });

  test('crash inside a batch is refused for its entry only', async () => {
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', {
        body: { jobs: [{ type: 'system.simulate', payload: {} }, crash] },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    const [accepted, refused] = parse(result.body).jobs;
    expect(accepted.status).toBe('queued');
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(savedJobs()).toHaveLength(1);
  });

  test('a system type is 403 for a user and accepted for an admin', async () => {
    const rollup = { type: 'analytics.rollup', payload: {} };
    const refused = await submit(rollup);
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused)).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'systemJobType' } });
    expect((await submit(rollup, { groups: ADMIN })).statusCode).toBe(202);
  });
});

describe('email.send', () => {
  const email = (to: string | string[], subject = 'Hello') => ({
    type: 'email.send',
    payload: { to, subject, text: 'Hi' },
  });

  test('a user may mail the allowed domain (case-insensitive)', async () => {
    expect((await submit(email(['a@example.com', 'B@EXAMPLE.COM']))).statusCode).toBe(202);
  });

  test.each([
    ['another domain', 'someone@gmail.com'],
    ['a subdomain of the allowed one', 'a@mail.example.com'],
    ['a look-alike suffix', 'a@evil-example.com'],
  ])('a user mailing %s gets 403 naming the rule; nothing saved', async (_case, address) => {
    const result = await submit(email(['ok@example.com', address]));
    expect(result.statusCode).toBe(403);
    const error = errorOf(result);
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'emailRecipientDomains' } });
    expect(error.message).toContain('jobqueue:emailRecipientDomains');
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('with no allowed domain configured, users can mail no one', async () => {
    const allowed = process.env.EMAIL_RECIPIENT_DOMAINS;
    delete process.env.EMAIL_RECIPIENT_DOMAINS;
    try {
      expect((await submit(email('a@example.com'))).statusCode).toBe(403);
    } finally {
      process.env.EMAIL_RECIPIENT_DOMAINS = allowed;
    }
  });

  test('an admin may mail anyone and is not counted against the quota', async () => {
    expect((await submit(email('someone@gmail.com'), { groups: ADMIN })).statusCode).toBe(202);
    expect(counterUpdates().map((update) => update.Key?.PK)).toEqual(['RATE#user-1']);
  });

  test.each([
    ['subject', email('a@example.com', 'Hi\r\nBcc: victim@elsewhere.test')],
    ['subject (LF only)', email('a@example.com', 'Hi\nBcc: victim@elsewhere.test')],
    ['to', email('a@example.com\r\nBcc: victim@elsewhere.test')],
  ])('CR or LF in %s is a 400 naming the field', async (_field, body) => {
    const result = await submit(body);
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).code).toBe('VALIDATION_ERROR');
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test("each recipient counts against the user's daily quota, in one conditional update", async () => {
    await submit(email(['a@example.com', 'b@example.com', 'c@example.com']), { emailDailyQuota: 10 });
    const quota = counterUpdates().find((update) => String(update.Key?.PK).startsWith('QUOTA#'));
    expect(quota).toMatchObject({
      Key: { PK: 'QUOTA#emails#user-1', SK: '2026-11-23' },
      ConditionExpression: 'attribute_not_exists(#count) OR #count <= :ceiling',
      ExpressionAttributeValues: expect.objectContaining({ ':count': 3, ':ceiling': 7 }),
    });
  });

  test('a used-up quota is 429 RATE_LIMITED with Retry-After until midnight UTC; nothing saved', async () => {
    dynamo
      .on(UpdateCommand, { Key: { PK: 'QUOTA#emails#user-1', SK: '2026-11-23' } })
      .rejects(conditionFailed());
    const result = await submit(email('a@example.com'));
    expect(result.statusCode).toBe(429);
    expect(errorOf(result)).toMatchObject({ code: 'RATE_LIMITED', details: { quota: 'emails' } });
    const untilMidnight = (Date.parse('2026-11-24T00:00:00Z') - NOW.getTime()) / 1000;
    expect(result.headers?.['retry-after']).toBe(String(Math.ceil(untilMidnight)));
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('more recipients than the whole quota is refused without a write', async () => {
    const result = await submit(email(['a@example.com', 'b@example.com']), { emailDailyQuota: 1 });
    expect(result.statusCode).toBe(429);
    expect(counterUpdates().some((update) => String(update.Key?.PK).startsWith('QUOTA#'))).toBe(false);
  });

  test('a batch draws all its recipients from the quota at once', async () => {
    await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', {
        body: { jobs: [email('a@example.com'), email(['b@example.com', 'c@example.com'])] },
      }),
      apiDependencies(),
    );
    const quota = counterUpdates().filter((update) => String(update.Key?.PK).startsWith('QUOTA#'));
    expect(quota).toHaveLength(1);
    expect(quota[0]?.ExpressionAttributeValues?.[':count']).toBe(3);
  });
});

describe('limits that retries and uploads could dodge', () => {
  test("a retry counts against the caller's submission limit: a full window is 429 and nothing changes", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'failed', attempts: 3 }) });
    dynamo.on(UpdateCommand, { Key: { PK: 'RATE#user-1' } }).rejects(conditionFailed());
    const result = await route(
      httpEvent('POST /v1/jobs/{jobId}/retry', `/v1/jobs/${JOB_ID}/retry`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(429);
    expect(result.headers?.['retry-after']).toMatch(/^\d+$/);
    const jobUpdates = dynamo
      .commandCalls(UpdateCommand)
      .filter((call) => call.args[0].input.Key?.PK === `JOB#${JOB_ID}`);
    expect(jobUpdates).toHaveLength(0);
  });

  test('an accepted retry takes one token of the caller’s window and resets attempts', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'failed', attempts: 3 }) });
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'queued', attempts: 0 }) });
    await route(
      httpEvent('POST /v1/jobs/{jobId}/retry', `/v1/jobs/${JOB_ID}/retry`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );
    expect(counterUpdates()).toEqual([
      expect.objectContaining({
        Key: expect.objectContaining({ PK: 'RATE#user-1' }),
        ExpressionAttributeValues: expect.objectContaining({ ':count': 1 }),
      }),
    ]);
    const transition = dynamo
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Key?.PK === `JOB#${JOB_ID}`);
    const values = Object.entries(transition?.ExpressionAttributeValues ?? {});
    const names = transition?.ExpressionAttributeNames ?? {};
    const attemptsPlaceholder = Object.entries(names).find(([, name]) => name === 'attempts')?.[0];
    expect(attemptsPlaceholder).toBeDefined();
    const assigned = String(transition?.UpdateExpression).match(
      new RegExp(`${attemptsPlaceholder} = (:\\w+)`),
    )?.[1];
    expect(values.find(([placeholder]) => placeholder === assigned)?.[1]).toBe(0);
  });

  const upload = (uploadsPerDay?: number) =>
    route(
      httpEvent('POST /v1/uploads', '/v1/uploads', {
        body: { fileName: 'cv.pdf', contentType: 'application/pdf', bytes: 1234 },
      }),
      apiDependencies({ uploadsPerDay }),
    );

  test("each upload grant takes one of the user's daily uploads", async () => {
    expect((await upload(5)).statusCode).toBe(201);
    expect(counterUpdates()).toEqual([
      expect.objectContaining({
        Key: { PK: 'QUOTA#uploads#user-1', SK: '2026-11-23' },
        ExpressionAttributeValues: expect.objectContaining({ ':count': 1, ':ceiling': 4 }),
      }),
    ]);
  });

  test('uploads past the daily quota are 429 RATE_LIMITED with Retry-After', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const result = await upload();
    expect(result.statusCode).toBe(429);
    expect(errorOf(result)).toMatchObject({
      code: 'RATE_LIMITED',
      details: { quota: 'uploads', limitPerDay: 200 },
    });
    expect(Number(result.headers?.['retry-after'])).toBeGreaterThan(0);
  });
});

describe('GET /v1/stats', () => {
  const stats = (groups?: string) =>
    route(httpEvent('GET /v1/stats', '/v1/stats', { groups }), apiDependencies());

  beforeEach(() => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        ApproximateNumberOfMessages: '7',
        ApproximateNumberOfMessagesNotVisible: '2',
        ApproximateNumberOfMessagesDelayed: '1',
      },
    });
  });

  test("a user sees their own counters, never the queues' global depths", async () => {
    const body = parse((await stats()).body);
    expect(body.byPriority.normal).not.toHaveProperty('waiting');
    expect(body.byPriority.normal).not.toHaveProperty('inFlight');
    expect(body.byPriority.normal).toHaveProperty('submitted', 0);
    expect(sqs).not.toHaveReceivedCommand(GetQueueAttributesCommand);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'STATS#2026-11-23', ':prefix': 'USER#user-1#' },
    });
  });

  test('an admin sees live queue depths', async () => {
    const body = parse((await stats(ADMIN)).body);
    expect(body.byPriority.normal).toMatchObject({ waiting: 7, inFlight: 2, delayed: 1 });
  });
});
