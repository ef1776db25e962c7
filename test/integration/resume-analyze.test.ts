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
    expect(progress.at(-1)?.items).toEqual({ total: 100, processed: 100, failed: 1 });
    expect(progress.some((frame) => typeof frame.estimatedCompletionAt === 'string')).toBe(true);

    const finished = await untilStatus('walter', job.jobId, ['completed']);
    expect(finished.items).toEqual({ total: 100, processed: 100, failed: 1 });
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
