import {
  ChatClient,
  DEFAULT_RETRY_AFTER_SECONDS,
  retryAfterSeconds,
} from '../../../lambdas/jobs/ai/chat-client';
import { JobFailure, JobPostponed } from '../../../lambdas/jobs/job-failure';

const KEY = 'sk-test-secret-key-123';
const request = { messages: [{ role: 'user' as const, content: 'Hello' }], maxTokens: 50 };
const okBody = {
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
};

const clientAnswering = (response: Response | Error) => {
  const fetch = jest.fn(async (_url: string | URL | Request, _init?: RequestInit) => {
    if (response instanceof Error) throw response;
    return response;
  });
  const client = new ChatClient({
    endpoint: 'https://ai.example.com/v1',
    model: 'test-model',
    apiKey: async () => KEY,
    fetch: fetch as unknown as typeof globalThis.fetch,
  });
  return { client, fetch };
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const failureOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error) => error,
  );

describe('ChatClient', () => {
  test('POSTs {endpoint}/chat/completions with the bearer key, model and OpenAI field names; maps the answer', async () => {
    const { client, fetch } = clientAnswering(json(200, okBody));
    const signal = new AbortController().signal;
    const completion = await client.complete(
      { ...request, temperature: 0.3, responseFormat: { type: 'json_object' } },
      signal,
    );
    expect(completion).toEqual({
      content: 'Hi there',
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('https://ai.example.com/v1/chat/completions');
    expect(init?.method).toBe('POST');
    expect(init?.signal).toBe(signal);
    expect((init?.headers as Record<string, string> | undefined)?.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.parse(String(init?.body))).toEqual({
      model: 'test-model',
      messages: request.messages,
      max_tokens: 50,
      temperature: 0.3,
      response_format: { type: 'json_object' },
    });
  });

  test('leaves out temperature and response_format when not given', async () => {
    const { client, fetch } = clientAnswering(json(200, okBody));
    await client.complete(request, new AbortController().signal);
    expect(Object.keys(JSON.parse(String(fetch.mock.calls[0]?.[1]?.body)))).toEqual([
      'model',
      'messages',
      'max_tokens',
    ]);
  });

  test.each([
    ['seconds', { 'retry-after': '17' }, 17],
    ['missing', {}, DEFAULT_RETRY_AFTER_SECONDS],
    ['huge', { 'retry-after': '999999' }, 3600],
  ])('429 (Retry-After %s) postpones: JobPostponed AI_RATE_LIMITED', async (_case, headers, seconds) => {
    const { client } = clientAnswering(json(429, { error: { message: 'slow down' } }, headers));
    const error = await failureOf(client.complete(request, new AbortController().signal));
    expect(error).toBeInstanceOf(JobPostponed);
    expect(error).toMatchObject({ code: 'AI_RATE_LIMITED', retryAfterSeconds: seconds });
  });

  test.each([500, 502, 503, 408])('HTTP %i is a retryable AI_UNAVAILABLE', async (status) => {
    const { client } = clientAnswering(json(status, { error: { message: 'overloaded' } }));
    const error = await failureOf(client.complete(request, new AbortController().signal));
    expect(error).toBeInstanceOf(JobFailure);
    expect(error).toMatchObject({ code: 'AI_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain(`HTTP ${status}`);
  });

  test.each([400, 401, 403, 404, 422])(
    'HTTP %i fails at once: AI_REQUEST_REJECTED, the key never echoed',
    async (status) => {
      const { client } = clientAnswering(
        json(status, { error: { message: `Incorrect API key provided: ${KEY}` } }),
      );
      const error = (await failureOf(client.complete(request, new AbortController().signal))) as JobFailure;
      expect(error).toBeInstanceOf(JobFailure);
      expect(error).toMatchObject({ code: 'AI_REQUEST_REJECTED', retryable: false });
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.message).toContain('[redacted]');
      expect(error.message).not.toContain(KEY);
    },
  );

  test('a network error is a retryable AI_UNAVAILABLE', async () => {
    const { client } = clientAnswering(new TypeError('fetch failed'));
    const error = await failureOf(client.complete(request, new AbortController().signal));
    expect(error).toMatchObject({ code: 'AI_UNAVAILABLE', retryable: true });
  });

  test("the job's own abort (deadline, cancel) is rethrown as it is, for the worker to record", async () => {
    const controller = new AbortController();
    const abort = new Error('TIMEOUT');
    controller.abort(abort);
    const { client } = clientAnswering(abort);
    expect(await failureOf(client.complete(request, controller.signal))).toBe(abort);
  });

  test.each([
    ['not JSON', new Response('<html>gateway</html>', { status: 200 })],
    ['no choices', json(200, { choices: [], usage: okBody.usage })],
    ['no usage', json(200, { choices: okBody.choices })],
  ])('a 2xx that is %s is a retryable AI_UNAVAILABLE', async (_case, response) => {
    const { client } = clientAnswering(response);
    expect(await failureOf(client.complete(request, new AbortController().signal))).toMatchObject({
      code: 'AI_UNAVAILABLE',
      retryable: true,
    });
  });

  test('a null content and finish_reason come back as empty text and "unknown"', async () => {
    const { client } = clientAnswering(
      json(200, { choices: [{ message: { content: null }, finish_reason: null }], usage: okBody.usage }),
    );
    expect(await client.complete(request, new AbortController().signal)).toMatchObject({
      content: '',
      finishReason: 'unknown',
    });
  });
});

describe('retryAfterSeconds', () => {
  test('reads delta-seconds and HTTP dates; anything else is undefined', () => {
    const now = new Date('2026-11-30T10:00:00.000Z');
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds('Mon, 30 Nov 2026 10:00:20 GMT', now)).toBe(20);
    expect(retryAfterSeconds('Mon, 30 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds(null, now)).toBeUndefined();
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
  });
});
