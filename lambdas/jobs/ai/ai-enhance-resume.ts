import { JobFailure } from '../job-failure';
import type { JobContext } from '../job-type';
import type { ResumeSections } from '../resume/sections';
import type { AiDependencies } from './ai-complete';
import { type ChatMessage, ENHANCE_RESUME_RESERVED_TOKENS } from './ai-payload';
import { type EnhancedResume, parseEnhancedResume } from './enhance-resume-schema';
import { settleTokens } from './token-budget';

export interface EnhanceResumePayload {
  readonly fileKey: string;
}

export interface EnhanceDependencies extends AiDependencies {
  /** The upload's sections, as resume.extract finds them (cached per file). */
  readonly sectionsOf: (fileKey: string, userId: string, signal: AbortSignal) => Promise<ResumeSections>;
}

/** Completion tokens each call may use. */
const ANSWER_TOKENS = 2000;
/** Longest section text sent to the model; a longer one is cut (the prompt stays bounded). */
const MAX_SECTION_CHARACTERS = 8000;

/** The instruction the local stand-in recognizes too (local/ai-endpoint.ts). */
export const ENHANCE_RESUME_INSTRUCTION =
  'You rewrite resumes. Answer with one JSON object only: {"sections":{"summary":string,' +
  '"experience":string,"education":string,"skills":string[]},"suggestions":string[]} — ' +
  'each section rewritten clearly and truthfully from the input (nothing invented), ' +
  'skills as short names, and 1 to 20 concrete suggestions.';

export const enhancePrompt = (sections: ResumeSections): ChatMessage[] => {
  const cut = (text: string) => text.slice(0, MAX_SECTION_CHARACTERS);
  const input = {
    summary: cut(sections.summary),
    experience: cut(sections.experience),
    education: cut(sections.education),
    skills: sections.skills.slice(0, 100),
  };
  return [
    { role: 'system', content: ENHANCE_RESUME_INSTRUCTION },
    { role: 'user', content: `Resume sections (JSON):\n${JSON.stringify(input)}` },
  ];
};

/**
 * ai.enhanceResume with its dependencies given: the caller's upload → its sections
 * (resume extraction) → rewritten by the model as JSON, checked against a strict schema.
 * An invalid answer gets one more call in the same attempt, told what was wrong; a second
 * invalid answer fails the job with AI_BAD_OUTPUT (not retryable: the model answered).
 */
export const enhanceResumeWith =
  (deps: EnhanceDependencies) =>
  async (context: JobContext<EnhanceResumePayload>): Promise<EnhancedResume> => {
    await context.progress({ percent: 10, stage: 'reading', message: 'reading the upload' });
    const sections = await deps.sectionsOf(context.payload.fileKey, context.userId, context.signal);
    const messages = enhancePrompt(sections);
    let used = 0;
    let final = false;
    try {
      for (let call = 1; call <= 2; call += 1) {
        await context.progress({ percent: call === 1 ? 30 : 65, stage: 'rewriting' });
        const completion = await deps
          .chat()
          .complete(
            { messages, maxTokens: ANSWER_TOKENS, temperature: 0.2, responseFormat: { type: 'json_object' } },
            context.signal,
          );
        used += completion.usage.promptTokens + completion.usage.completionTokens;
        const answer = parseEnhancedResume(completion.content);
        if (answer.ok) {
          final = true;
          return answer.value;
        }
        context.logger.warn('The model answered outside the schema', { call, problem: answer.problem });
        messages.push(
          { role: 'assistant', content: completion.content || '(empty)' },
          {
            role: 'user',
            content: `That answer is not valid (${answer.problem}). Answer again with only the JSON object described.`,
          },
        );
      }
      final = true;
      throw new JobFailure(
        'AI_BAD_OUTPUT',
        'The model answered twice with output that does not fit the schema',
        {
          retryable: false,
        },
      );
    } finally {
      if (used > 0) await settleTokens(deps.quota, context, ENHANCE_RESUME_RESERVED_TOKENS, used, final);
    }
  };
