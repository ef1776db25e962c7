import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './net';

/** One request the stand-in answered (`GET /local/ai/requests`). */
export interface AiRequestRecord {
  readonly at: string;
  readonly model: string;
  readonly status: number;
  readonly maxTokens?: number;
  readonly responseFormat?: string;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** The start of the last message, so a test can pick out its own requests. */
  readonly lastMessage: string;
}

/** What the next requests answer, switched by the tests (`POST /local/ai/mode`). */
export type AiMode = 'normal' | 'rate-limit' | 'server-error' | 'bad-output';

interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** The marker of ai.enhanceResume's prompt (lambdas/jobs/ai/ai-enhance-resume.ts). */
const RESUME_SECTIONS_PREFIX = 'Resume sections (JSON):\n';
const KEPT_REQUESTS = 5000;

const tokensOf = (text: string) => Math.ceil(text.length / 4);
const tidy = (text: unknown, max: number) =>
  String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
const capitalized = (text: string) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);

/** A deterministic structured rewrite of the sections in ai.enhanceResume's prompt. */
const enhancedResume = (sections: Record<string, unknown>) => {
  const skills = Array.isArray(sections.skills)
    ? [...new Set(sections.skills.map((skill) => tidy(skill, 100)).filter(Boolean))].slice(0, 100)
    : [];
  const summary = capitalized(tidy(sections.summary, 5000));
  const experience = capitalized(tidy(sections.experience, 30_000));
  const education = capitalized(tidy(sections.education, 10_000));
  const suggestions = [
    ...(summary ? [] : ['Add a two-sentence summary of what you do and for whom.']),
    ...(/\d/.test(experience) ? [] : ['Quantify results in your experience (numbers, percentages, scale).']),
    ...(skills.length >= 5 ? [] : ['List at least five concrete skills.']),
    'Start each experience line with an action verb.',
  ];
  return { sections: { summary, experience, education, skills }, suggestions };
};

/**
 * A deterministic OpenAI-compatible chat completions API for the local cloud (like the SES
 * mail sink): `POST /v1/chat/completions` with OpenAI's request and response shapes, usage
 * counted as ⌈characters / 4⌉. The answer derives from the messages: ai.enhanceResume's
 * prompt gets a structured rewrite of its sections, other `json_object` requests a JSON
 * object, text requests an echo. Local-only routes let the tests read the requests
 * (`GET /local/ai/requests`) and make the next N requests answer 429 with Retry-After,
 * 500, or (JSON requests) invalid output (`POST /local/ai/mode`).
 */
export class LocalAiEndpoint {
  readonly requests: AiRequestRecord[] = [];
  private mode: { mode: AiMode; remaining: number; retryAfterSeconds: number } = {
    mode: 'normal',
    remaining: 0,
    retryAfterSeconds: 1,
  };

  /** Handles the request if it is one of the stand-in's routes; false otherwise. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname === '/v1/chat/completions' && request.method === 'POST') {
      await this.complete(request, response);
      return true;
    }
    if (url.pathname === '/local/ai/requests' && request.method === 'GET') {
      reply(response, 200, { requests: this.requests });
      return true;
    }
    if (url.pathname === '/local/ai/mode' && request.method === 'POST') {
      await this.setMode(request, response);
      return true;
    }
    return false;
  }

  private async setMode(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let input: { mode?: unknown; count?: unknown; retryAfterSeconds?: unknown };
    try {
      input = JSON.parse((await readBody(request, 4096)).toString('utf8') || '{}');
    } catch {
      return reply(response, 400, { error: { message: 'Malformed JSON' } });
    }
    const modes: readonly AiMode[] = ['normal', 'rate-limit', 'server-error', 'bad-output'];
    if (!modes.includes(input.mode as AiMode)) {
      return reply(response, 400, { error: { message: `mode must be one of ${modes.join(', ')}` } });
    }
    const count = Number(input.count ?? 1);
    const retryAfterSeconds = Number(input.retryAfterSeconds ?? 1);
    if (
      !Number.isInteger(count) ||
      count < 0 ||
      !Number.isInteger(retryAfterSeconds) ||
      retryAfterSeconds < 0
    ) {
      return reply(response, 400, { error: { message: 'count and retryAfterSeconds must be integers ≥ 0' } });
    }
    this.mode = { mode: input.mode as AiMode, remaining: count, retryAfterSeconds };
    reply(response, 200, this.mode);
  }

  /** The switched mode for this request, counting it down; `normal` once used up. */
  private takeMode(json: boolean): AiMode {
    const { mode, remaining } = this.mode;
    if (mode === 'normal' || remaining <= 0) return 'normal';
    if (mode === 'bad-output' && !json) return 'normal';
    this.mode.remaining -= 1;
    return mode;
  }

  private async complete(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = new Date().toISOString();
    let body: any;
    try {
      body = JSON.parse((await readBody(request, 4 * 1024 * 1024)).toString('utf8'));
    } catch {
      return reply(response, 400, {
        error: { message: 'Malformed JSON body', type: 'invalid_request_error' },
      });
    }
    const messages: ChatMessage[] = Array.isArray(body?.messages) ? body.messages : [];
    const lastMessage = String(messages.at(-1)?.content ?? '').slice(0, 120);
    const model = typeof body?.model === 'string' ? body.model : '';
    const record = (status: number, extra: Partial<AiRequestRecord> = {}) => {
      this.requests.push({
        at,
        model,
        status,
        lastMessage,
        ...(typeof body?.max_tokens === 'number' ? { maxTokens: body.max_tokens } : {}),
        ...(body?.response_format?.type ? { responseFormat: String(body.response_format.type) } : {}),
        ...extra,
      });
      if (this.requests.length > KEPT_REQUESTS) this.requests.shift();
    };
    if (!/^Bearer \S+$/.test(String(request.headers.authorization ?? ''))) {
      record(401);
      return reply(response, 401, { error: { message: 'Missing API key', type: 'invalid_request_error' } });
    }
    const valid =
      model !== '' &&
      messages.length > 0 &&
      messages.every((message) => typeof message?.role === 'string' && typeof message?.content === 'string');
    if (!valid) {
      record(400);
      return reply(response, 400, {
        error: {
          message: 'model and messages [{ role, content }] are required',
          type: 'invalid_request_error',
        },
      });
    }
    const json = body.response_format?.type === 'json_object';
    const mode = this.takeMode(json);
    if (mode === 'rate-limit') {
      record(429);
      response.setHeader('retry-after', String(this.mode.retryAfterSeconds));
      return reply(response, 429, {
        error: { message: 'Rate limit reached (local)', type: 'rate_limit_exceeded' },
      });
    }
    if (mode === 'server-error') {
      record(500);
      return reply(response, 500, {
        error: { message: 'The server had an error (local)', type: 'server_error' },
      });
    }
    let content = mode === 'bad-output' ? 'Here is your resume, improved!' : answerTo(messages, json, model);
    let finishReason = 'stop';
    const maxTokens =
      typeof body.max_tokens === 'number' && body.max_tokens > 0 ? body.max_tokens : undefined;
    if (!json && maxTokens !== undefined && tokensOf(content) > maxTokens) {
      content = content.slice(0, maxTokens * 4);
      finishReason = 'length';
    }
    const promptTokens = tokensOf(messages.map((message) => message.content).join(''));
    const completionTokens = tokensOf(content);
    record(200, { promptTokens, completionTokens });
    reply(response, 200, {
      id: `chatcmpl-local-${this.requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.parse(at) / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  }
}

/** The deterministic answer to `messages`. */
const answerTo = (messages: readonly ChatMessage[], json: boolean, model: string): string => {
  const resume = messages.find(
    (message) => message.role === 'user' && message.content.startsWith(RESUME_SECTIONS_PREFIX),
  );
  if (json && resume) {
    try {
      return JSON.stringify(enhancedResume(JSON.parse(resume.content.slice(RESUME_SECTIONS_PREFIX.length))));
    } catch {
      // Not the sections JSON after all: answer as to any JSON request.
    }
  }
  const last = messages.at(-1)?.content ?? '';
  const words = last.split(/\s+/).filter(Boolean).length;
  if (json)
    return JSON.stringify({ reply: `Local answer to ${words} words`, echo: last.slice(0, 200), model });
  return `Local answer (${model}) to ${messages.length} message(s), ${words} words: ${last}`;
};

const reply = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};
