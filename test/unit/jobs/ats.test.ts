import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { extractKeywords, scoreResume, tokenize } from '../../../lambdas/jobs/resume/ats';

const description = `Senior Backend Engineer. We need strong TypeScript and Node.js experience.
You will build AWS Lambda services with DynamoDB and SQS. TypeScript everywhere; AWS Lambda at scale.
Nice to have: C++ or C#, CI/CD.`;

describe('keywords and scores', () => {
  test('tokens keep technical terms whole and drop numbers', () => {
    expect(tokenize('Node.js, C++ and C# in CI/CD for 5 years.')).toEqual([
      'node.js',
      'c++',
      'and',
      'c#',
      'in',
      'ci/cd',
      'for',
      'years',
    ]);
  });

  test('keywords are weighted by frequency, filler removed, repeated phrases kept', () => {
    const keywords = extractKeywords(description);
    const terms = keywords.map((keyword) => keyword.term);
    expect(terms.slice(0, 4)).toEqual(['aws lambda', 'typescript', 'aws', 'lambda']);
    expect(terms).toEqual(expect.arrayContaining(['dynamodb', 'sqs', 'node.js', 'c++', 'c#', 'ci/cd']));
    for (const filler of ['experience', 'strong', 'we', 'and']) expect(terms).not.toContain(filler);
    expect(extractKeywords(description)).toEqual(keywords);
  });

  test('the score is the covered share of keyword weight, with matched and missing lists', () => {
    const full = scoreResume(description, description);
    expect(full?.score).toBe(100);
    expect(full?.missingKeywords).toEqual([]);
    const partial = scoreResume('TypeScript developer. AWS Lambda and DynamoDB.', description);
    expect(partial?.matchedKeywords).toEqual(
      expect.arrayContaining(['aws lambda', 'typescript', 'dynamodb']),
    );
    expect(partial?.missingKeywords).toEqual(expect.arrayContaining(['sqs', 'c++']));
    expect(partial?.score).toBeGreaterThan(0);
    expect(partial?.score).toBeLessThan(100);
    expect(scoreResume('Gardener', description)?.score).toBe(0);
  });

  test('a description with nothing to score has no score', () => {
    expect(scoreResume('anything', 'We are a team. You will work with us.')).toBeUndefined();
  });
});

describe('resume.analyze', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  beforeEach(() => dynamo.reset());

  test('after a retry, finished items are kept and only the rest are scored', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [0, 1].map((index) => ({
        index,
        status: 'completed',
        result: { jobDescriptionId: `jd-${index}`, title: 't', score: 50 },
      })),
    });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    const { analyzeResume } = await import('../../../lambdas/jobs/resume/analyze');
    const updates: unknown[] = [];
    const jobDescriptions = [0, 1, 2, 3].map((index) => ({
      id: `jd-${index}`,
      title: `Role ${index}`,
      text: index === 3 ? 'we you our' : description,
    }));
    const result = await analyzeResume({
      jobId: 'job-1',
      userId: 'user-1',
      payload: { resume: { text: 'TypeScript and AWS Lambda' }, jobDescriptions },
      attempt: 2,
      maxAttempts: 3,
      idempotencyKey: 'job-1:2',
      signal: new AbortController().signal,
      progress: async (update) => {
        updates.push(update);
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const puts = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(puts.map((item) => item?.SK)).toEqual(['ITEM#000002', 'ITEM#000003']);
    expect(puts[1]).toMatchObject({ status: 'failed', error: { code: 'NO_KEYWORDS' } });
    expect(updates.at(-1)).toMatchObject({ items: { total: 4, processed: 4, failed: 1 }, percent: 100 });
    expect(result).toMatchObject({
      total: 4,
      processed: 4,
      failed: 1,
      best: { jobDescriptionId: expect.any(String) },
    });
  });
});
