import { api, submit, untilStatus } from './support/client';

const resume = {
  name: 'Ada Lovelace',
  title: 'Analyst',
  contact: { email: 'ada@example.com', phone: '+44 20 7946 0000', links: ['github.com/ada'] },
  summary: 'Mathematician who writes programs for analytical engines.',
  experience: [
    {
      role: 'Analyst',
      company: 'Babbage & Co',
      start: '1842',
      end: '1843',
      details: ['Wrote the first algorithm'],
    },
  ],
  education: [{ degree: 'Mathematics', school: 'Private tutoring', year: '1835' }],
  skills: ['TypeScript', 'DynamoDB', 'Algorithms'],
};

const download = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

test('a resume renders to a real PDF in S3 with a working download link — and reads back as the same sections', async () => {
  const job = await submit('victor', { type: 'pdf.render', payload: { template: 'resume', data: resume } });
  const done = await untilStatus('victor', job.jobId, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(done.result).toMatchObject({ pages: 1, fileKey: `results/rendered/victor/${job.jobId}/resume.pdf` });
  const pdf = await download(done.result.downloadUrl);
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.length).toBe(done.result.bytes);

  // Round trip: upload the rendered PDF and extract it.
  const grant = await api('POST', '/v1/uploads', {
    user: 'victor',
    body: { fileName: 'rendered.pdf', contentType: 'application/pdf', bytes: pdf.length },
  });
  await fetch(grant.body.uploadUrl, { method: 'PUT', headers: grant.body.headers, body: pdf });
  const extraction = await submit('victor', {
    type: 'resume.extract',
    payload: { fileKey: grant.body.fileKey },
  });
  const extracted = await untilStatus('victor', extraction.jobId, ['completed', 'failed']);
  expect(extracted.result.sections).toMatchObject({
    contact: { name: 'Ada Lovelace', email: 'ada@example.com' },
    summary: 'Mathematician who writes programs for analytical engines.',
    skills: ['TypeScript', 'DynamoDB', 'Algorithms'],
  });
});

test('a report with a long table spans pages', async () => {
  const rows = Array.from({ length: 120 }, (_, index) => [
    `job-${index}`,
    index % 3 === 0 ? 'failed' : 'completed',
    index * 10,
  ]);
  const job = await submit('victor', {
    type: 'pdf.render',
    payload: {
      template: 'report',
      data: {
        title: 'Weekly jobs',
        sections: [
          { heading: 'Runs', paragraphs: ['All runs.'], table: { columns: ['job', 'status', 'ms'], rows } },
        ],
      },
    },
  });
  const done = await untilStatus('victor', job.jobId, ['completed', 'failed']);
  expect(done.result.pages).toBeGreaterThan(1);
  expect((await download(done.result.downloadUrl)).length).toBe(done.result.bytes);
});

test('an unknown template or bad data is a 400 at submission', async () => {
  const unknown = await api('POST', '/v1/jobs', {
    user: 'victor',
    body: { type: 'pdf.render', payload: { template: 'invoice', data: {} } },
  });
  expect(unknown.status).toBe(400);
  const bad = await api('POST', '/v1/jobs', {
    user: 'victor',
    body: { type: 'pdf.render', payload: { template: 'resume', data: { title: 'no name' } } },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.fields.map((issue: { field: string }) => issue.field)).toContain(
    'payload.data.name',
  );
});
