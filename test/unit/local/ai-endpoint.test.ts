import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENHANCE_RESUME_INSTRUCTION, enhancePrompt } from '../../../lambdas/jobs/ai/ai-enhance-resume';
import { ChatClient } from '../../../lambdas/jobs/ai/chat-client';
import { parseEnhancedResume } from '../../../lambdas/jobs/ai/enhance-resume-schema';
import { JobFailure, JobPostponed } from '../../../lambdas/jobs/job-failure';
import { LocalAiEndpoint } from '../../../local/ai-endpoint';
import { closeServer } from '../../../local/net';

let endpoint: LocalAiEndpoint;
let server: Server;
let base: string;

beforeEach(async () => {
  endpoint = new LocalAiEndpoint();
  server = createServer(async (request, response) => {
    if (!(await endpoint.handle(request, response))) {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => closeServer(server));

const client = () =>
  new ChatClient({ endpoint: `${base}/v1`, model: 'local-model', apiKey: async () => 'k' });
const signal = () => new AbortController().signal;
const setMode = (body: unknown) =>
  fetch(`${base}/local/ai/mode`, { method: 'POST', body: JSON.stringify(body) }).then(
    (response) => response.status,
  );

describe('the local AI stand-in, through the real chat client', () => {
  test('answers text deterministically, with usage as ⌈characters / 4⌉, and records the request', async () => {
    const messages = [{ role: 'user' as const, content: 'hello there local model' }];
    const first = await client().complete({ messages, maxTokens: 500 }, signal());
    const second = await client().complete({ messages, maxTokens: 500 }, signal());
    expect(first).toEqual(second);
    expect(first.content).toBe(
      'Local answer (local-model) to 1 message(s), 4 words: hello there local model',
    );
    expect(first.usage).toEqual({ promptTokens: 6, completionTokens: Math.ceil(first.content.length / 4) });
    expect(first.finishReason).toBe('stop');
    expect(endpoint.requests).toHaveLength(2);
    expect(endpoint.requests[0]).toMatchObject({
      model: 'local-model',
      status: 200,
      maxTokens: 500,
      promptTokens: 6,
    });
  });

  test('cuts a text answer at max_tokens with finish_reason "length"', async () => {
    const completion = await client().complete(
      { messages: [{ role: 'user', content: 'x' }], maxTokens: 2 },
      signal(),
    );
    expect(completion).toMatchObject({ finishReason: 'length', usage: { completionTokens: 2 } });
    expect(completion.content).toHaveLength(8);
  });

  test('json_object requests get a JSON object; the enhance prompt gets a valid structured rewrite', async () => {
    const plain = await client().complete(
      {
        messages: [{ role: 'user', content: 'a b' }],
        maxTokens: 50,
        responseFormat: { type: 'json_object' },
      },
      signal(),
    );
    expect(JSON.parse(plain.content)).toMatchObject({ reply: 'Local answer to 2 words' });
    const messages = enhancePrompt({
      contact: { links: [] },
      summary: '  engineer   who ships. ',
      experience: 'built 3 queues',
      education: 'BSc',
      skills: ['Go', 'Go', 'SQL'],
    });
    expect(messages[0]?.content).toBe(ENHANCE_RESUME_INSTRUCTION);
    const enhanced = await client().complete(
      { messages, maxTokens: 2000, responseFormat: { type: 'json_object' } },
      signal(),
    );
    const parsed = parseEnhancedResume(enhanced.content);
    expect(parsed).toEqual({
      ok: true,
      value: {
        sections: {
          summary: 'Engineer who ships.',
          experience: 'Built 3 queues',
          education: 'BSc',
          skills: ['Go', 'SQL'],
        },
        suggestions: [
          'List at least five concrete skills.',
          'Start each experience line with an action verb.',
        ],
      },
    });
  });

  test('rate-limit mode answers the next N with 429 and Retry-After, then normally again', async () => {
    expect(await setMode({ mode: 'rate-limit', count: 2, retryAfterSeconds: 7 })).toBe(200);
    const request = { messages: [{ role: 'user' as const, content: 'x' }], maxTokens: 5 };
    for (let i = 0; i < 2; i += 1) {
      const error = await client()
        .complete(request, signal())
        .catch((caught) => caught);
      expect(error).toBeInstanceOf(JobPostponed);
      expect(error).toMatchObject({ retryAfterSeconds: 7 });
    }
    await expect(client().complete(request, signal())).resolves.toMatchObject({ finishReason: 'length' });
    expect(endpoint.requests.map((record) => record.status)).toEqual([429, 429, 200]);
  });

  test('server-error mode is a retryable failure; bad-output mode spoils JSON answers only', async () => {
    await setMode({ mode: 'server-error', count: 1 });
    const error = await client()
      .complete({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5 }, signal())
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(JobFailure);
    expect(error).toMatchObject({ code: 'AI_UNAVAILABLE', retryable: true });
    await setMode({ mode: 'bad-output', count: 1 });
    const text = await client().complete(
      { messages: [{ role: 'user', content: 'x' }], maxTokens: 50 },
      signal(),
    );
    expect(text.content).toContain('Local answer');
    const json = await client().complete(
      { messages: [{ role: 'user', content: 'x' }], maxTokens: 50, responseFormat: { type: 'json_object' } },
      signal(),
    );
    expect(() => JSON.parse(json.content)).toThrow();
  });

  test('refuses a request without a key (401) or without messages (400), as the provider would', async () => {
    const noKey = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(noKey.status).toBe(401);
    const noMessages = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(noMessages.status).toBe(400);
    expect(await setMode({ mode: 'explode' })).toBe(400);
  });

  test('GET /local/ai/requests lists what it answered', async () => {
    await client().complete({ messages: [{ role: 'user', content: 'listed' }], maxTokens: 5 }, signal());
    const listed = (await (await fetch(`${base}/local/ai/requests`)).json()) as {
      requests: { lastMessage: string }[];
    };
    expect(listed.requests.map((record) => record.lastMessage)).toEqual(['listed']);
  });
});
