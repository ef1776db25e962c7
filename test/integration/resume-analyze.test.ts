import { api, SocketClient, submit, untilStatus } from './support/client';

const skills = [
  'typescript',
  'dynamodb',
  'kubernetes',
  'python',
  'terraform',
  'react',
  'graphql',
  'kafka',
  'rust',
  'sql',
];

const jobDescriptions = Array.from({ length: 100 }, (_, index) => ({
  id: `jd-${index}`,
  title: index === 99 ? 'Join us' : `Engineer ${index}`,
  text:
    index === 99
      ? 'We are a team and you will work with us.'
      : `Must know ${skills[index % skills.length]} and ${skills[(index + 3) % skills.length]}. ${skills[index % skills.length]} daily.`,
}));

test('100 descriptions: one item each, per-item progress over the WebSocket, a failed item does not fail the job', async () => {
  const socket = await SocketClient.connect('walter');
  try {
    const job = await submit('walter', {
      type: 'resume.analyze',
      payload: { resume: { text: 'Ada Lovelace. TypeScript, DynamoDB and SQL.' }, jobDescriptions },
    });
    // The submit answer already estimates completion (a bulk job).
    expect(Date.parse(job.estimatedCompletionAt)).toBeGreaterThan(Date.parse(job.createdAt));
    socket.send({ action: 'subscribe', jobId: job.jobId });
    const completed = await socket.next(
      (frame) => frame.type === 'job.completed' && frame.jobId === job.jobId,
      60_000,
    );
    expect(completed.result).toMatchObject({ total: 100, processed: 100, failed: 1 });

    const progress = socket.frames.filter(
      (frame) => frame.type === 'job.progress' && frame.jobId === job.jobId,
    );
    const processed = progress.map((frame) => frame.items.processed);
    expect(processed.length).toBeGreaterThanOrEqual(50);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(progress.at(-1)?.items).toEqual({ total: 100, processed: 100, failed: 1, currentItem: 99 });
    // Each push names the item just finished.
    expect(progress.every((frame) => Number.isInteger(frame.items.currentItem))).toBe(true);
    expect(progress.some((frame) => typeof frame.estimatedCompletionAt === 'string')).toBe(true);

    const finished = await untilStatus('walter', job.jobId, ['completed']);
    expect(finished.items).toEqual({ total: 100, processed: 100, failed: 1, currentItem: 99 });
    const page = await api('GET', `/v1/jobs/${job.jobId}/items`, { user: 'walter' });
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(100);
    expect(page.body.items[0]).toMatchObject({
      index: 0,
      status: 'completed',
      result: {
        jobDescriptionId: 'jd-0',
        score: expect.any(Number),
        matchedKeywords: expect.arrayContaining(['typescript']),
      },
    });
    expect(page.body.items[99]).toMatchObject({
      index: 99,
      status: 'failed',
      error: { code: 'NO_KEYWORDS' },
    });
    // Someone else cannot read the items.
    expect((await api('GET', `/v1/jobs/${job.jobId}/items`, { user: 'bob' })).status).toBe(404);
  } finally {
    await socket.close();
  }
});

test('more than 100 descriptions is a 400', async () => {
  const reply = await api('POST', '/v1/jobs', {
    user: 'walter',
    body: {
      type: 'resume.analyze',
      payload: { resume: { text: 'x' }, jobDescriptions: [...jobDescriptions, jobDescriptions[0]] },
    },
  });
  expect(reply.status).toBe(400);
});

test('three resumes against one description: one item per resume, ranked best first, an estimate at submit', async () => {
  const jobDescription = {
    id: 'jd-rank',
    title: 'Data engineer',
    text: 'Kafka, Terraform and GraphQL. Kafka streaming. Terraform modules.',
  };
  const resumes = [
    { text: 'Grace. Terraform only.' },
    { text: 'Linus. Kafka, Terraform, GraphQL; data engineer.' },
    { text: 'Barbara. Cooking and gardening.' },
  ];
  const submittedAt = Date.now();
  const reply = await api('POST', '/v1/jobs', {
    user: 'walter',
    body: { type: 'resume.analyze', payload: { resumes, jobDescription } },
  });
  expect(reply.status).toBe(202);
  const job = reply.body;
  expect(typeof job.estimatedCompletionAt).toBe('string');
  expect(new Date(job.estimatedCompletionAt).toISOString()).toBe(job.estimatedCompletionAt);
  expect(Date.parse(job.estimatedCompletionAt)).toBeGreaterThan(submittedAt);

  const finished = await untilStatus('walter', job.jobId, ['completed', 'failed']);
  expect(finished.status).toBe('completed');
  expect(finished.items).toMatchObject({ total: 3, processed: 3, failed: 0, currentItem: 2 });
  const page = await api('GET', `/v1/jobs/${job.jobId}/items`, { user: 'walter' });
  expect(page.body.items).toHaveLength(3);
  expect(
    page.body.items.map((item: { index: number; result: { resume: number } }) => item.result.resume),
  ).toEqual([0, 1, 2]);
  expect(page.body.items[1].result).toMatchObject({
    score: expect.any(Number),
    matchedKeywords: expect.arrayContaining(['kafka', 'terraform', 'graphql']),
  });
  expect(page.body.items[2].result).toMatchObject({ score: 0, matchedKeywords: [] });

  const ranking = finished.result.ranking as { index: number; resume: number; score: number }[];
  expect(finished.result.jobDescriptionId).toBe('jd-rank');
  expect(ranking.map(({ index }) => index)).toEqual([1, 0, 2]);
  expect(ranking[0]?.score).toBeGreaterThan(ranking[1]?.score ?? 100);
  expect(ranking[1]?.score).toBeGreaterThan(ranking[2]?.score ?? 100);
});

test('both forms at once is a 400 naming the fields', async () => {
  const reply = await api('POST', '/v1/jobs', {
    user: 'walter',
    body: {
      type: 'resume.analyze',
      payload: {
        resume: { text: 'x' },
        jobDescriptions: [jobDescriptions[0]],
        resumes: [{ text: 'x' }],
        jobDescription: jobDescriptions[0],
      },
    },
  });
  expect(reply.status).toBe(400);
  const fields = reply.body.error.details.fields.map((entry: { field: string }) => entry.field);
  expect(fields).toEqual(expect.arrayContaining(['payload.resumes', 'payload.resume']));
});
