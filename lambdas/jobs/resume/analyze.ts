import { documentClient } from '../../core/aws-clients';
import { readConfig } from '../../core/config';
import { type BulkItem, ItemStore } from '../../core/item-store';
import type { JobContext } from '../job-type';
import { scoreResume } from './ats';
import { extractUpload } from './resume-files';

export interface JobDescription {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

export interface AnalyzePayload {
  readonly resume: { readonly fileKey: string } | { readonly text: string };
  readonly jobDescriptions: readonly JobDescription[];
}

const config = readConfig(['tableName', 'failedRetentionDays']);
const items = new ItemStore(documentClient, config.tableName);

/**
 * resume.analyze: one resume against 1–100 job descriptions, one bulk item each
 * (`GET /v1/jobs/{id}/items`). Each finished item updates the job's `items` counts,
 * progress and `estimatedCompletionAt`; a description that cannot be scored fails only
 * its item. After a retry, items already finished are not redone.
 */
export const analyzeResume = async (context: JobContext<AnalyzePayload>) => {
  const { resume, jobDescriptions } = context.payload;
  const total = jobDescriptions.length;
  const resumeText =
    'text' in resume
      ? resume.text
      : (await extractUpload(resume.fileKey, context.userId, context.signal)).text;

  const done = new Map<number, BulkItem>();
  for (const item of await items.listAll(context.jobId)) {
    if (item.status !== 'pending') done.set(item.index, item);
  }
  const expiresAt = Math.floor(Date.now() / 1000) + config.failedRetentionDays * 86_400;
  const counts = () => {
    const finished = [...done.values()];
    return {
      total,
      processed: finished.length,
      failed: finished.filter((item) => item.status === 'failed').length,
    };
  };
  const started = Date.now();
  let doneThisAttempt = 0;
  for (const [index, description] of jobDescriptions.entries()) {
    if (done.has(index)) continue;
    context.signal.throwIfAborted();
    const score = scoreResume(resumeText, `${description.title}\n${description.text}`);
    const item: BulkItem = score
      ? {
          index,
          status: 'completed',
          result: { jobDescriptionId: description.id, title: description.title, ...score },
        }
      : {
          index,
          status: 'failed',
          error: {
            code: 'NO_KEYWORDS',
            message: 'The job description has no scorable keywords.',
            retryable: false,
          },
        };
    await items.put(context.jobId, item, expiresAt);
    done.set(index, item);
    doneThisAttempt += 1;
    const current = counts();
    const perItemMs = (Date.now() - started) / doneThisAttempt;
    await context.progress({
      percent: Math.round((100 * current.processed) / total),
      stage: 'analyzing',
      message: `${current.processed} of ${total} job descriptions`,
      items: current,
      estimatedCompletionAt: new Date(Date.now() + perItemMs * (total - current.processed)).toISOString(),
    });
  }

  const scored = [...done.values()]
    .filter((item) => item.status === 'completed')
    .map((item) => item.result as { jobDescriptionId: string; title: string; score: number });
  const best = scored.reduce<(typeof scored)[number] | undefined>(
    (top, entry) => (!top || entry.score > top.score ? entry : top),
    undefined,
  );
  return {
    ...counts(),
    averageScore:
      scored.length > 0
        ? Math.round(scored.reduce((sum, entry) => sum + entry.score, 0) / scored.length)
        : null,
    best: best ? { jobDescriptionId: best.jobDescriptionId, title: best.title, score: best.score } : null,
  };
};
