import type { JobContext } from '../job-type';
import { completeWith } from './ai-complete';
import { type EnhanceResumePayload, enhanceResumeWith } from './ai-enhance-resume';
import type { AiCompletePayload } from './ai-payload';
import { chatClient, tokenQuota, warmUp } from './ai-runtime';

export { warmUp };

/** ai.complete: one chat completion against the stack's OpenAI-compatible endpoint. */
export const aiComplete = (context: JobContext<AiCompletePayload>) =>
  completeWith({ chat: () => chatClient('ai.complete'), quota: tokenQuota })(context);

/** ai.enhanceResume: an uploaded resume's sections rewritten by the stack's model. */
export const aiEnhanceResume = (context: JobContext<EnhanceResumePayload>) =>
  enhanceResumeWith({
    chat: () => chatClient('ai.enhanceResume'),
    quota: tokenQuota,
    // The resume parsers load with the first ai.enhanceResume, not with every ai.complete worker.
    sectionsOf: async (fileKey, userId, signal) =>
      (await (await import('../resume/resume-files')).extractUpload(fileKey, userId, signal)).sections,
  })(context);
