import * as z from 'zod';
import { JobFailure, JobPostponed } from '../job-failure';
import type { ChatMessage } from './ai-payload';

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly responseFormat?: { readonly type: 'text' | 'json_object' };
}

export interface ChatCompletion {
  readonly content: string;
  readonly finishReason: string;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface ChatClientOptions {
  /** Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1` (no trailing slash). */
  readonly endpoint: string;
  readonly model: string;
  /** The API key (read from Secrets Manager, cached). */
  readonly apiKey: () => Promise<string>;
  /** Holds each request until the provider's per-second rate has room (see PerSecondGate). @default none */
  readonly gate?: { pass(signal: AbortSignal): Promise<void> };
  readonly fetch?: typeof fetch;
}

/** Wait when a 429 names no Retry-After. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** How much of a provider's error message a job keeps. */
const MAX_PROVIDER_MESSAGE = 300;

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z.object({
    prompt_tokens: z.number().int().min(0),
    completion_tokens: z.number().int().min(0),
  }),
});

/** Seconds a Retry-After header asks for: delta-seconds or an HTTP date; undefined when unusable. */
export const retryAfterSeconds = (header: string | null, now: Date = new Date()): number | undefined => {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max((at - now.getTime()) / 1000, 0);
};

/**
 * One chat completion against an OpenAI-compatible `POST {endpoint}/chat/completions`,
 * with the provider's answers mapped to what the worker does next:
 * 429 → JobPostponed (`AI_RATE_LIMITED`, after Retry-After: no attempt used);
 * 408, 5xx, a network error or an unreadable 2xx → retryable `AI_UNAVAILABLE` (backoff);
 * any other 4xx → `AI_REQUEST_REJECTED`, not retryable. `signal` (the job's deadline or a
 * cancel) aborts the request. Messages never carry the key.
 */
export class ChatClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ChatClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatCompletion> {
    const apiKey = await this.options.apiKey();
    const sanitize = (text: string) =>
      (apiKey ? text.split(apiKey).join('[redacted]') : text).slice(0, MAX_PROVIDER_MESSAGE);
    // Last before the request leaves: nothing slow may come between the gate and the send.
    await this.options.gate?.pass(signal);
    let response: Response;
    try {
      response = await this.fetch(`${this.options.endpoint}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          model: this.options.model,
          messages: request.messages,
          max_tokens: request.maxTokens,
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.responseFormat ? { response_format: request.responseFormat } : {}),
        }),
        signal,
      });
    } catch (error) {
      // The job's own abort is recorded by the worker (TIMEOUT, cancel); rethrow it as it is.
      if (signal.aborted) throw error;
      throw new JobFailure(
        'AI_UNAVAILABLE',
        `The AI provider could not be reached: ${sanitize(String(error))}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text().catch(() => '');
    if (response.status === 429) {
      throw new JobPostponed(
        'AI_RATE_LIMITED',
        'The AI provider is rate-limiting requests; the job waits as it asked',
        retryAfterSeconds(response.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_SECONDS,
      );
    }
    if (response.status === 408 || response.status >= 500) {
      throw new JobFailure(
        'AI_UNAVAILABLE',
        `The AI provider failed (HTTP ${response.status}): ${sanitize(providerMessage(text))}`,
      );
    }
    if (!response.ok) {
      throw new JobFailure(
        'AI_REQUEST_REJECTED',
        `The AI provider refused the request (HTTP ${response.status}): ${sanitize(providerMessage(text))}`,
        { retryable: false },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new JobFailure('AI_UNAVAILABLE', 'The AI provider answered with something other than JSON');
    }
    const parsed = completionSchema.safeParse(body);
    if (!parsed.success) {
      throw new JobFailure('AI_UNAVAILABLE', 'The AI provider answered without a choice or usage');
    }
    const choice = parsed.data.choices[0] as (typeof parsed.data.choices)[number];
    return {
      content: choice.message.content ?? '',
      finishReason: choice.finish_reason ?? 'unknown',
      usage: {
        promptTokens: parsed.data.usage.prompt_tokens,
        completionTokens: parsed.data.usage.completion_tokens,
      },
    };
  }
}

/** OpenAI's `{ error: { message } }`, or the start of whatever else came back. */
const providerMessage = (text: string): string => {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } })?.error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: the raw text, shortened by the caller.
  }
  return text || 'no details';
};
