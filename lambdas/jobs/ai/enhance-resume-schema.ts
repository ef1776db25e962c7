import * as z from 'zod';

/**
 * What ai.enhanceResume returns, and what the model must answer with (strict: no other
 * keys, no empty section texts, bounded sizes). Skills stay a list, as extraction gives them.
 */
export const enhancedResumeSchema = z
  .object({
    sections: z
      .object({
        summary: z.string().max(5000),
        experience: z.string().max(30_000),
        education: z.string().max(10_000),
        skills: z.array(z.string().min(1).max(100)).max(100),
      })
      .strict(),
    suggestions: z.array(z.string().min(1).max(500)).min(1).max(20),
  })
  .strict();
export type EnhancedResume = z.output<typeof enhancedResumeSchema>;

/** The model's answer as an enhanced resume, or what is wrong with it (fed back to the model once). */
export const parseEnhancedResume = (
  content: string,
): { ok: true; value: EnhancedResume } | { ok: false; problem: string } => {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { ok: false, problem: 'the answer is not a JSON object' };
  }
  const parsed = enhancedResumeSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problem = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem };
};
