import { documentClient } from '../../core/aws-clients';
import { readConfig } from '../../core/config';
import { type BulkItem, ItemStore } from '../../core/item-store';
import type { JobError } from '../../core/job';
import { JobFailure } from '../job-failure';
import type { JobContext } from '../job-type';
import { type AtsScore, scoreResume } from './ats';
import { extractUpload } from './resume-files';

export interface JobDescription {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

export type ResumeInput = { readonly fileKey: string } | { readonly text: string };

/** One resume against 1–100 job descriptions: one item per description. */
export interface OneResumePayload {
  readonly resume: ResumeInput;
  readonly jobDescriptions: readonly JobDescription[];
}

/** 1–100 resumes against one job description: one item per resume, ranked. */
export interface RankingPayload {
  readonly resumes: readonly ResumeInput[];
  readonly jobDescription: JobDescription;
}

export type AnalyzePayload = OneResumePayload | RankingPayload;

/** The ranking form (the schema admits exactly one form; an absent key may also be undefined). */
export const isRanking = (payload: AnalyzePayload): payload is RankingPayload =>
  (payload as Partial<RankingPayload>).resumes !== undefined;

/** What the analysis needs from outside: item rows and reading an upload's text. */
export interface AnalyzeDependencies {
  readonly items: Pick<ItemStore, 'listAll' | 'put'>;
  readonly readResume: (fileKey: string, userId: string, signal: AbortSignal) => Promise<string>;
  /** Epoch seconds at which item rows expire. */
  readonly expiresAt: () => number;
  readonly now?: () => number;
}

const NO_KEYWORDS: JobError = {
  code: 'NO_KEYWORDS',
  message: 'The job description has no scorable keywords.',
  retryable: false,
};

const descriptionText = (description: JobDescription) => `${description.title}\n${description.text}`;

/** A resume's text; an upload that cannot be read for good (missing, unsupported…) is a JobError. */
const resumeText = async (
  resume: ResumeInput,
  context: JobContext<unknown>,
  deps: AnalyzeDependencies,
): Promise<string | JobError> => {
  if ('text' in resume) return resume.text;
  try {
    return await deps.readResume(resume.fileKey, context.userId, context.signal);
  } catch (error) {
    // A transient error (S3 throttling, a timeout) retries the job; finished items are kept.
    if (error instanceof JobFailure && !error.retryable) {
      return { code: error.code, message: error.message, retryable: false };
    }
    throw error;
  }
};

/** One item's outcome: its result, or why it failed. */
type ItemOutcome = { readonly result: unknown } | { readonly error: JobError };

const scoredItem = (score: AtsScore | undefined, extra: Record<string, unknown>): ItemOutcome =>
  score ? { result: { ...extra, ...score } } : { error: NO_KEYWORDS };

/**
 * Runs `total` items of a bulk job, skipping those a previous attempt finished: each item is
 * stored (`GET /v1/jobs/{id}/items`), then the job's `items` counts (with `currentItem`),
 * progress and `estimatedCompletionAt` are updated. Shared by both directions of the
 * analysis. Returns every finished item by index.
 */
const runItems = async (
  context: JobContext<unknown>,
  deps: AnalyzeDependencies,
  total: number,
  noun: string,
  runItem: (index: number) => Promise<ItemOutcome>,
): Promise<Map<number, BulkItem>> => {
  const now = deps.now ?? Date.now;
  const done = new Map<number, BulkItem>();
  for (const item of await deps.items.listAll(context.jobId)) {
    if (item.status !== 'pending') done.set(item.index, item);
  }
  const expiresAt = deps.expiresAt();
  const started = now();
  let doneThisAttempt = 0;
  for (let index = 0; index < total; index += 1) {
    if (done.has(index)) continue;
    context.signal.throwIfAborted();
    const outcome = await runItem(index);
    const item: BulkItem =
      'result' in outcome
        ? { index, status: 'completed', result: outcome.result }
        : { index, status: 'failed', error: outcome.error };
    await deps.items.put(context.jobId, item, expiresAt);
    done.set(index, item);
    doneThisAttempt += 1;
    const finished = [...done.values()];
    const processed = finished.length;
    const perItemMs = (now() - started) / doneThisAttempt;
    await context.progress({
      percent: Math.round((100 * processed) / total),
      stage: 'analyzing',
      message: `${processed} of ${total} ${noun}`,
      items: {
        total,
        processed,
        failed: finished.filter((entry) => entry.status === 'failed').length,
        currentItem: index,
      },
      estimatedCompletionAt: new Date(now() + perItemMs * (total - processed)).toISOString(),
    });
  }
  return done;
};

const countsOf = (done: Map<number, BulkItem>, total: number) => {
  const finished = [...done.values()];
  return {
    total,
    processed: finished.length,
    failed: finished.filter((item) => item.status === 'failed').length,
  };
};

export interface RankEntry {
  readonly index: number;
  /** The resume's reference: its fileKey, or its index in `resumes` for a text resume. */
  readonly resume: string | number;
  readonly score: number;
}

/** Scored resumes best first; equal scores keep input order (lower index first). */
export const rankBestFirst = (entries: readonly RankEntry[]): RankEntry[] =>
  [...entries].sort((a, b) => b.score - a.score || a.index - b.index);

export const resumeReference = (resume: ResumeInput, index: number): string | number =>
  'fileKey' in resume ? resume.fileKey : index;

/** One resume against each description. */
const analyzeOneResume = async (context: JobContext<OneResumePayload>, deps: AnalyzeDependencies) => {
  const { resume, jobDescriptions } = context.payload;
  const total = jobDescriptions.length;
  const text = await resumeText(resume, context, deps);
  // The one resume cannot be read: nothing can be scored, the job fails.
  if (typeof text !== 'string') throw new JobFailure(text.code, text.message, { retryable: false });
  const done = await runItems(context, deps, total, 'job descriptions', async (index) => {
    const description = jobDescriptions[index] as JobDescription;
    return scoredItem(scoreResume(text, descriptionText(description)), {
      jobDescriptionId: description.id,
      title: description.title,
    });
  });
  const scored = [...done.values()]
    .filter((item) => item.status === 'completed')
    .map((item) => item.result as { jobDescriptionId: string; title: string; score: number });
  const best = scored.reduce<(typeof scored)[number] | undefined>(
    (top, entry) => (!top || entry.score > top.score ? entry : top),
    undefined,
  );
  return {
    ...countsOf(done, total),
    averageScore:
      scored.length > 0
        ? Math.round(scored.reduce((sum, entry) => sum + entry.score, 0) / scored.length)
        : null,
    best: best ? { jobDescriptionId: best.jobDescriptionId, title: best.title, score: best.score } : null,
  };
};

/** Each resume against one description, ranked best first. */
const rankResumes = async (context: JobContext<RankingPayload>, deps: AnalyzeDependencies) => {
  const { resumes, jobDescription } = context.payload;
  const total = resumes.length;
  const jdText = descriptionText(jobDescription);
  const done = await runItems(context, deps, total, 'resumes', async (index) => {
    const resume = resumes[index] as ResumeInput;
    const reference = resumeReference(resume, index);
    const text = await resumeText(resume, context, deps);
    // A resume that cannot be read fails only its item.
    if (typeof text !== 'string') return { error: text };
    return scoredItem(scoreResume(text, jdText), { resume: reference });
  });
  const ranking = rankBestFirst(
    [...done.values()]
      .filter((item) => item.status === 'completed')
      .map((item) => {
        const result = item.result as { resume: string | number; score: number };
        return { index: item.index, resume: result.resume, score: result.score };
      }),
  );
  return { jobDescriptionId: jobDescription.id, ...countsOf(done, total), ranking };
};

/**
 * resume.analyze, both directions: one resume against 1–100 job descriptions (one item per
 * description), or 1–100 resumes against one description (one item per resume, the result
 * ranks them best first). A description that cannot be scored, or a resume of the ranking
 * that cannot be read, fails only its item. After a retry, finished items are not redone.
 */
export const runAnalysis = (context: JobContext<AnalyzePayload>, deps: AnalyzeDependencies) => {
  // The context is passed on as is (not spread): its methods may live on a prototype.
  return isRanking(context.payload)
    ? rankResumes(context as JobContext<RankingPayload>, deps)
    : analyzeOneResume(context as JobContext<OneResumePayload>, deps);
};

let defaults: AnalyzeDependencies | undefined;
const defaultDependencies = (): AnalyzeDependencies => {
  if (defaults) return defaults;
  const config = readConfig(['tableName', 'failedRetentionDays']);
  defaults = {
    items: new ItemStore(documentClient, config.tableName),
    readResume: async (fileKey, userId, signal) => (await extractUpload(fileKey, userId, signal)).text,
    expiresAt: () => Math.floor(Date.now() / 1000) + config.failedRetentionDays * 86_400,
  };
  return defaults;
};

export const analyzeResume = (context: JobContext<AnalyzePayload>) =>
  runAnalysis(context, defaultDependencies());
