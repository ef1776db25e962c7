import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DailyQuota } from '../../../lambdas/core/daily-quota';
import { completeWith } from '../../../lambdas/jobs/ai/ai-complete';
import { enhanceResumeWith } from '../../../lambdas/jobs/ai/ai-enhance-resume';
import { ENHANCE_RESUME_RESERVED_TOKENS } from '../../../lambdas/jobs/ai/ai-payload';
import { API_KEY_TTL_MS, CachedApiKey } from '../../../lambdas/jobs/ai/api-key';
import type { ChatClient, ChatCompletion, ChatRequest } from '../../../lambdas/jobs/ai/chat-client';
import { parseEnhancedResume } from '../../../lambdas/jobs/ai/enhance-resume-schema';
import { JobFailure, JobPostponed } from '../../../lambdas/jobs/job-failure';
import type { JobContext } from '../../../lambdas/jobs/job-type';
import type { ResumeSections } from '../../../lambdas/jobs/resume/sections';

const dynamo = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
const quota = new DailyQuota(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  'jobs-test',
);

beforeEach(() => {
  dynamo.reset();
  secrets.reset();
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const contextFor = <P>(payload: P, fields: Partial<JobContext<P>> = {}): JobContext<P> => ({
  jobId: 'job-1',
  userId: 'user-1',
  payload,
  attempt: 1,
  maxAttempts: 5,
  idempotencyKey: 'job-1:1',
  submittedAt: '2026-11-29T23:59:00.000Z',
  submittedByAdmin: false,
  signal: new AbortController().signal,
  progress: async () => {},
  logger: silent,
  ...fields,
});

/** A chat client that answers each call with the next of `answers` (or throws it). */
const scriptedChat = (answers: (ChatCompletion | Error)[]) => {
  const calls: ChatRequest[] = [];
  const client = {
    complete: async (request: ChatRequest) => {
      calls.push(structuredClone(request) as ChatRequest);
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as ChatClient;
  return { chat: () => client, calls };
};
const answer = (content: string, promptTokens = 100, completionTokens = 50): ChatCompletion => ({
  content,
  finishReason: 'stop',
  usage: { promptTokens, completionTokens },
});
const adjustments = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .map((input) => ({
      key: input.Key,
      delta: input.ExpressionAttributeValues?.[':delta'],
      condition: input.ConditionExpression,
    }));

describe('ai.complete', () => {
  const payload = { messages: [{ role: 'user' as const, content: 'x'.repeat(40) }], maxTokens: 500 };

  test('returns content, finishReason and usage, and settles the budget by actual − reserved in one unconditional ADD', async () => {
    const { chat, calls } = scriptedChat([answer('Hello', 12, 30)]);
    const result = await completeWith({ chat, quota })(contextFor(payload));
    expect(result).toEqual({
      content: 'Hello',
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 30 },
    });
    expect(calls).toEqual([{ messages: payload.messages, maxTokens: 500 }]);
    // Reserved 10 + 500 on the day of submission (not the day it ran): a refund of 468.
    expect(adjustments()).toEqual([
      { key: { PK: 'QUOTA#aiTokens#user-1', SK: '2026-11-29' }, delta: 42 - 510, condition: undefined },
    ]);
  });

  test('passes temperature and responseFormat through, and the default maxTokens', async () => {
    const { chat, calls } = scriptedChat([answer('{}')]);
    await completeWith({ chat, quota })(
      contextFor({
        messages: payload.messages,
        temperature: 0,
        responseFormat: { type: 'json_object' as const },
      }),
    );
    expect(calls[0]).toEqual({
      messages: payload.messages,
      maxTokens: 1024,
      temperature: 0,
      responseFormat: { type: 'json_object' },
    });
  });

  test("an admin's job was not counted, so nothing is settled", async () => {
    const { chat } = scriptedChat([answer('Hello')]);
    await completeWith({ chat, quota })(contextFor(payload, { submittedByAdmin: true }));
    expect(adjustments()).toEqual([]);
  });

  test('a failed settlement is logged, not thrown: the completion is done and kept', async () => {
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    const warn = jest.fn();
    const { chat } = scriptedChat([answer('Hello')]);
    const result = await completeWith({ chat, quota })(contextFor(payload, { logger: { ...silent, warn } }));
    expect(result.content).toBe('Hello');
    expect(warn).toHaveBeenCalledWith('Could not settle the AI token budget', expect.anything());
  });

  test('a postponement or failure from the provider passes through, nothing settled', async () => {
    const postponed = new JobPostponed('AI_RATE_LIMITED', 'later', 3);
    const { chat } = scriptedChat([postponed]);
    await expect(completeWith({ chat, quota })(contextFor(payload))).rejects.toBe(postponed);
    expect(adjustments()).toEqual([]);
  });
});

describe('ai.enhanceResume', () => {
  const sections: ResumeSections = {
    contact: { links: [] },
    summary: 'Engineer.',
    experience: 'Built things, 2020-2024.',
    education: 'BSc',
    skills: ['Go', 'SQL'],
  };
  const valid = {
    sections: {
      summary: 'Engineer who builds.',
      experience: 'Built 12 things.',
      education: 'BSc',
      skills: ['Go', 'SQL'],
    },
    suggestions: ['Add numbers.'],
  };
  const deps = (answers: (ChatCompletion | Error)[]) => {
    const scripted = scriptedChat(answers);
    const sectionsOf = jest.fn(async () => sections);
    return { ...scripted, sectionsOf, run: enhanceResumeWith({ chat: scripted.chat, quota, sectionsOf }) };
  };

  test('sends the sections as JSON with json_object and returns the validated answer; settles once', async () => {
    const { run, calls, sectionsOf } = deps([answer(JSON.stringify(valid), 300, 200)]);
    expect(await run(contextFor({ fileKey: 'uploads/user-1/a/cv.pdf' }))).toEqual(valid);
    expect(sectionsOf).toHaveBeenCalledWith('uploads/user-1/a/cv.pdf', 'user-1', expect.anything());
    expect(calls).toHaveLength(1);
    expect(calls[0]?.responseFormat).toEqual({ type: 'json_object' });
    const user = calls[0]?.messages.find((message) => message.role === 'user')?.content ?? '';
    expect(JSON.parse(user.slice(user.indexOf('{')))).toEqual({
      summary: 'Engineer.',
      experience: 'Built things, 2020-2024.',
      education: 'BSc',
      skills: ['Go', 'SQL'],
    });
    expect(adjustments().map((update) => update.delta)).toEqual([500 - ENHANCE_RESUME_RESERVED_TOKENS]);
  });

  test('an invalid answer is asked again once, in the same attempt, told what was wrong', async () => {
    const { run, calls } = deps([
      answer('Sure! Here it is.', 300, 20),
      answer(JSON.stringify(valid), 350, 200),
    ]);
    expect(await run(contextFor({ fileKey: 'uploads/user-1/a/cv.pdf' }))).toEqual(valid);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'Sure! Here it is.' },
      { role: 'user', content: expect.stringContaining('not a JSON object') },
    ]);
    expect(adjustments().map((update) => update.delta)).toEqual([870 - ENHANCE_RESUME_RESERVED_TOKENS]);
  });

  test('a second invalid answer fails with AI_BAD_OUTPUT, not retryable; the tokens used are settled', async () => {
    const wrongShape = JSON.stringify({ ...valid, extra: true });
    const { run, calls } = deps([answer(wrongShape, 300, 20), answer('{"sections":{}}', 300, 20)]);
    const error = await run(contextFor({ fileKey: 'uploads/user-1/a/cv.pdf' })).catch((caught) => caught);
    expect(error).toBeInstanceOf(JobFailure);
    expect(error).toMatchObject({ code: 'AI_BAD_OUTPUT', retryable: false });
    expect(calls).toHaveLength(2);
    expect(adjustments().map((update) => update.delta)).toEqual([640 - ENHANCE_RESUME_RESERVED_TOKENS]);
  });

  test('a retryable failure after a call adds what was used and keeps the reservation for the final attempt', async () => {
    const unavailable = new JobFailure('AI_UNAVAILABLE', 'HTTP 503');
    const { run } = deps([answer('nope', 300, 20), unavailable]);
    await expect(run(contextFor({ fileKey: 'uploads/user-1/a/cv.pdf' }))).rejects.toBe(unavailable);
    expect(adjustments().map((update) => update.delta)).toEqual([320]);
  });
});

describe('the enhanced resume schema', () => {
  test.each([
    ['not JSON', 'hello', 'not a JSON object'],
    [
      'a missing section',
      JSON.stringify({ sections: { summary: '', experience: '', education: '' }, suggestions: ['x'] }),
      'sections.skills',
    ],
    [
      'no suggestions',
      JSON.stringify({
        sections: { summary: '', experience: '', education: '', skills: [] },
        suggestions: [],
      }),
      'suggestions',
    ],
    [
      'skills as text',
      JSON.stringify({
        sections: { summary: '', experience: '', education: '', skills: 'Go' },
        suggestions: ['x'],
      }),
      'sections.skills',
    ],
  ])('%s is refused, naming the problem', (_case, content, problem) => {
    const parsed = parseEnhancedResume(content);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });
});

describe('CachedApiKey', () => {
  test('reads the secret once per TTL, shares a read in flight, and reads again after it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: ' sk-1 \n' });
    let now = 1000;
    const key = new CachedApiKey(new SecretsManagerClient({ region: 'eu-west-1' }), 'arn:secret', () => now);
    expect(await Promise.all([key.get(), key.get()])).toEqual(['sk-1', 'sk-1']);
    now += API_KEY_TTL_MS - 1;
    await key.get();
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'arn:secret' });
    now += 2;
    await key.get();
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  test('an empty secret is an error, and is not cached', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '' });
    const key = new CachedApiKey(new SecretsManagerClient({ region: 'eu-west-1' }), 'arn:secret');
    await expect(key.get()).rejects.toThrow('empty');
    await expect(key.get()).rejects.toThrow('empty');
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });
});
