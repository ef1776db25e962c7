import { route } from '../../../lambdas/api/handler';
import type { BulkItem } from '../../../lambdas/core/item-store';
import { JobFailure } from '../../../lambdas/jobs/job-failure';
import type { JobContext, ProgressUpdate } from '../../../lambdas/jobs/job-type';
import { findJobType } from '../../../lambdas/jobs/registry';
import {
  type AnalyzeDependencies,
  type AnalyzePayload,
  rankBestFirst,
  runAnalysis,
} from '../../../lambdas/jobs/resume/analyze';
import { apiDependencies } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const definition = () => {
  const found = findJobType('resume.analyze');
  if (!found) throw new Error('resume.analyze is not registered');
  return found;
};

const description = {
  id: 'jd-1',
  title: 'Backend engineer',
  text: 'TypeScript, DynamoDB and Kafka. TypeScript.',
};

describe('resume.analyze payload', () => {
  const parses = (payload: unknown) => definition().schema.safeParse(payload).success;

  test('accepts the one-resume form and the ranking form', () => {
    expect(parses({ resume: { text: 'cv' }, jobDescriptions: [description] })).toBe(true);
    expect(
      parses({ resumes: [{ text: 'a' }, { fileKey: 'uploads/u/1/cv.pdf' }], jobDescription: description }),
    ).toBe(true);
  });

  test('ranking form: 1 to 100 resumes, each a fileKey or a text', () => {
    const resumes = (count: number) => Array.from({ length: count }, () => ({ text: 'cv' }));
    expect(parses({ resumes: resumes(100), jobDescription: description })).toBe(true);
    expect(parses({ resumes: resumes(101), jobDescription: description })).toBe(false);
    expect(parses({ resumes: [], jobDescription: description })).toBe(false);
    expect(parses({ resumes: [{ fileKey: 'not-an-upload' }], jobDescription: description })).toBe(false);
    expect(parses({ resumes: [{ text: 'cv', fileKey: 'uploads/x' }], jobDescription: description })).toBe(
      false,
    );
  });

  test('counts one bulk item per resume or per description', () => {
    const items = definition().bulkItems;
    expect(
      items?.(
        definition().schema.parse({ resumes: [{ text: 'a' }, { text: 'b' }], jobDescription: description }),
      ),
    ).toBe(2);
    expect(
      items?.(definition().schema.parse({ resume: { text: 'a' }, jobDescriptions: [description] })),
    ).toBe(1);
  });

  const submit = async (payload: unknown) => {
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: { type: 'resume.analyze', payload } }),
      apiDependencies(),
    );
    return { statusCode: result.statusCode, body: parse(result.body) };
  };
  const fieldsOf = (reply: Awaited<ReturnType<typeof submit>>) =>
    (reply.body.error.details.fields as { field: string }[]).map(({ field }) => field).sort();

  test('both forms at once → 400 naming every field given', async () => {
    const reply = await submit({
      resume: { text: 'cv' },
      jobDescriptions: [description],
      resumes: [{ text: 'cv' }],
      jobDescription: description,
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.body.error.code).toBe('VALIDATION_ERROR');
    expect(fieldsOf(reply)).toEqual([
      'payload.jobDescription',
      'payload.jobDescriptions',
      'payload.resume',
      'payload.resumes',
    ]);
  });

  test('neither form → 400 naming the fields of both', async () => {
    const reply = await submit({});
    expect(reply.statusCode).toBe(400);
    expect(fieldsOf(reply)).toEqual([
      'payload.jobDescription',
      'payload.jobDescriptions',
      'payload.resume',
      'payload.resumes',
    ]);
  });

  test('a mix of the two forms → 400 naming the mixed fields', async () => {
    const reply = await submit({ resume: { text: 'cv' }, jobDescription: description });
    expect(reply.statusCode).toBe(400);
    expect(fieldsOf(reply)).toEqual(['payload.jobDescription', 'payload.resume']);
  });

  test('half a form → 400 naming the missing field', async () => {
    const reply = await submit({ resumes: [{ text: 'cv' }] });
    expect(reply.statusCode).toBe(400);
    expect(fieldsOf(reply)).toEqual(['payload.jobDescription']);
  });

  test("someone else's upload in the ranking form → 404, as in the one-resume form", async () => {
    const reply = await submit({
      resumes: [{ text: 'cv' }, { fileKey: 'uploads/someone-else/01J/cv.pdf' }],
      jobDescription: description,
    });
    expect(reply.statusCode).toBe(404);
  });
});

describe('rankBestFirst', () => {
  test('orders by score, best first; equal scores keep input order', () => {
    const ranked = rankBestFirst([
      { index: 0, resume: 0, score: 40 },
      { index: 1, resume: 'uploads/u/1/b.pdf', score: 90 },
      { index: 2, resume: 2, score: 40 },
      { index: 3, resume: 3, score: 90 },
      { index: 4, resume: 4, score: 10 },
    ]);
    expect(ranked.map(({ index }) => index)).toEqual([1, 3, 0, 2, 4]);
  });
});

describe('runAnalysis', () => {
  let progress: ProgressUpdate[];
  let stored: BulkItem[];
  const context = <P extends AnalyzePayload>(payload: P): JobContext<AnalyzePayload> => ({
    jobId: '01JD0000000000000000RANK00',
    userId: 'user-1',
    payload,
    attempt: 1,
    maxAttempts: 3,
    idempotencyKey: 'k',
    signal: new AbortController().signal,
    progress: async (update) => {
      progress.push(update);
    },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const deps = (
    files: Record<string, string | Error> = {},
    earlier: BulkItem[] = [],
  ): AnalyzeDependencies => ({
    items: {
      listAll: async () => earlier,
      put: async (_jobId, item) => {
        stored.push(item);
      },
    },
    readResume: async (fileKey) => {
      const file = files[fileKey];
      if (file === undefined) throw new JobFailure('FILE_NOT_FOUND', 'No such file.', { retryable: false });
      if (file instanceof Error) throw file;
      return file;
    },
    expiresAt: () => 1,
  });
  beforeEach(() => {
    progress = [];
    stored = [];
  });

  test('ranking form: one item per resume, ranked best first, ties by input order', async () => {
    const result = await runAnalysis(
      context({
        resumes: [
          { text: 'Kafka only.' },
          { fileKey: 'uploads/user-1/01J/full.pdf' },
          { text: 'Nothing relevant.' },
          { text: 'Kafka only, again.' },
        ],
        jobDescription: description,
      }),
      deps({ 'uploads/user-1/01J/full.pdf': 'Backend engineer: TypeScript, DynamoDB, Kafka' }),
    );
    expect(stored.map(({ index, status }) => [index, status])).toEqual([
      [0, 'completed'],
      [1, 'completed'],
      [2, 'completed'],
      [3, 'completed'],
    ]);
    expect(stored[1]?.result).toMatchObject({
      resume: 'uploads/user-1/01J/full.pdf',
      score: 100,
      matchedKeywords: expect.arrayContaining(['typescript', 'kafka']),
      missingKeywords: [],
    });
    expect(stored[2]?.result).toMatchObject({ resume: 2, score: 0, matchedKeywords: [] });
    const ranking = (result as { ranking: { index: number; resume: unknown; score: number }[] }).ranking;
    expect(ranking.map(({ index }) => index)).toEqual([1, 0, 3, 2]);
    expect(ranking[0]).toEqual({ index: 1, resume: 'uploads/user-1/01J/full.pdf', score: 100 });
    expect(ranking[1]?.score).toBe(ranking[2]?.score);
    expect(result).toMatchObject({ jobDescriptionId: 'jd-1', total: 4, processed: 4, failed: 0 });
  });

  test('progress per item carries the counts, currentItem and an estimate', async () => {
    await runAnalysis(
      context({ resumes: [{ text: 'a' }, { text: 'b' }, { text: 'c' }], jobDescription: description }),
      deps(),
    );
    expect(progress.map((update) => update.items)).toEqual([
      { total: 3, processed: 1, failed: 0, currentItem: 0 },
      { total: 3, processed: 2, failed: 0, currentItem: 1 },
      { total: 3, processed: 3, failed: 0, currentItem: 2 },
    ]);
    expect(progress.every((update) => !Number.isNaN(Date.parse(update.estimatedCompletionAt ?? '')))).toBe(
      true,
    );
  });

  test('a resume that cannot be read fails only its item, not the job', async () => {
    const result = await runAnalysis(
      context({
        resumes: [{ fileKey: 'uploads/user-1/01J/missing.pdf' }, { text: 'TypeScript' }],
        jobDescription: description,
      }),
      deps(),
    );
    expect(stored[0]).toMatchObject({
      index: 0,
      status: 'failed',
      error: { code: 'FILE_NOT_FOUND', retryable: false },
    });
    expect(stored[1]).toMatchObject({ index: 1, status: 'completed' });
    expect(result).toMatchObject({ total: 2, processed: 2, failed: 1, ranking: [{ index: 1, resume: 1 }] });
  });

  test('a transient read error retries the job (it is not an item failure)', async () => {
    await expect(
      runAnalysis(
        context({ resumes: [{ fileKey: 'uploads/user-1/01J/slow.pdf' }], jobDescription: description }),
        deps({ 'uploads/user-1/01J/slow.pdf': new Error('throttled') }),
      ),
    ).rejects.toThrow('throttled');
    expect(stored).toEqual([]);
  });

  test('a retry does not redo finished items and still ranks them', async () => {
    const result = await runAnalysis(
      context({ resumes: [{ text: 'nothing' }, { text: 'TypeScript Kafka' }], jobDescription: description }),
      deps({}, [{ index: 0, status: 'completed', result: { resume: 0, score: 95 } }]),
    );
    expect(stored.map(({ index }) => index)).toEqual([1]);
    expect((result as { ranking: { index: number }[] }).ranking.map(({ index }) => index)).toEqual([0, 1]);
  });

  test('the one-resume form is unchanged: one item per description, an unreadable resume fails the job', async () => {
    const result = await runAnalysis(
      context({
        resume: { text: 'TypeScript' },
        jobDescriptions: [description, { id: 'jd-2', title: 'Join us', text: 'We are a team.' }],
      }),
      deps(),
    );
    expect(stored[0]).toMatchObject({ status: 'completed', result: { jobDescriptionId: 'jd-1' } });
    expect(stored[1]).toMatchObject({ status: 'failed', error: { code: 'NO_KEYWORDS' } });
    expect(result).toMatchObject({ total: 2, processed: 2, failed: 1, best: { jobDescriptionId: 'jd-1' } });
    await expect(
      runAnalysis(
        context({ resume: { fileKey: 'uploads/user-1/01J/missing.pdf' }, jobDescriptions: [description] }),
        deps(),
      ),
    ).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
