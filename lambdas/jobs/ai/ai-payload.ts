import * as z from 'zod';

/**
 * The ai.* payloads and what they reserve from the submitter's daily token budget. Only
 * zod here: the registry (and so the API) imports it; the client code lives elsewhere.
 */

/** Completion tokens asked for when a payload names no `maxTokens`. */
export const DEFAULT_MAX_TOKENS = 1024;
/** Most completion tokens one ai.complete may ask for. */
export const MAX_TOKENS_LIMIT = 32_000;
/** What one ai.enhanceResume reserves at submit (its prompt is built from the file later). */
export const ENHANCE_RESUME_RESERVED_TOKENS = 6000;

export const chatMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.string().min(1).max(100_000),
  })
  .strict();
export type ChatMessage = z.output<typeof chatMessageSchema>;

export const aiCompletePayloadSchema = z
  .object({
    messages: z.array(chatMessageSchema).min(1).max(100),
    maxTokens: z.number().int().min(1).max(MAX_TOKENS_LIMIT).optional(),
    temperature: z.number().min(0).max(2).optional(),
    responseFormat: z
      .object({ type: z.enum(['text', 'json_object']) })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (payload) => payload.messages.reduce((sum, message) => sum + message.content.length, 0) <= 200_000,
    {
      message: 'the messages may hold at most 200000 characters in all',
      path: ['messages'],
    },
  );
export type AiCompletePayload = z.output<typeof aiCompletePayloadSchema>;

/** Tokens a text of `characters` characters is taken to be before a model counts it (about 4 each). */
export const estimatedTokens = (characters: number): number => Math.ceil(characters / 4);

/** What ai.complete reserves at submit: its prompt's estimate plus the completion it allows. */
export const reservedTokensOf = (payload: AiCompletePayload): number =>
  estimatedTokens(payload.messages.reduce((sum, message) => sum + message.content.length, 0)) +
  (payload.maxTokens ?? DEFAULT_MAX_TOKENS);
