import type { DailyQuota } from '../../core/daily-quota';
import type { JobContext } from '../job-type';
import { type AiCompletePayload, DEFAULT_MAX_TOKENS, reservedTokensOf } from './ai-payload';
import type { ChatClient, ChatCompletion } from './chat-client';
import { settleTokens } from './token-budget';

export interface AiDependencies {
  readonly chat: () => ChatClient;
  readonly quota: DailyQuota;
}

/** ai.complete with its dependencies given (the tests' entry). */
export const completeWith =
  (deps: AiDependencies) =>
  async (context: JobContext<AiCompletePayload>): Promise<ChatCompletion> => {
    const { messages, maxTokens, temperature, responseFormat } = context.payload;
    const completion = await deps.chat().complete(
      {
        messages,
        maxTokens: maxTokens ?? DEFAULT_MAX_TOKENS,
        ...(temperature === undefined ? {} : { temperature }),
        ...(responseFormat ? { responseFormat } : {}),
      },
      context.signal,
    );
    const used = completion.usage.promptTokens + completion.usage.completionTokens;
    await settleTokens(deps.quota, context, reservedTokensOf(context.payload), used, true);
    context.logger.info('AI completion done', { finishReason: completion.finishReason, tokens: used });
    return completion;
  };
