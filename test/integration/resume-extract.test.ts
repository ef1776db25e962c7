import { docxBomb } from '../unit/support/hostile-files';
import { api, submit, untilStatus } from './support/client';
import type { TestUser as TestUserName } from './support/environment';
import { RESUME_LINES, resumeDocx, resumePdf } from './support/fixtures';

/** Uploads bytes the way a browser would: ask for a presigned PUT, then PUT with exactly its headers. */
const upload = async (user: TestUserName, fileName: string, contentType: string, bytes: Buffer) => {
  const grant = await api('POST', '/v1/uploads', {
    user,
    body: { fileName, contentType, bytes: bytes.length },
  });
  expect(grant.status).toBe(201);
  const put = await fetch(grant.body.uploadUrl, { method: 'PUT', headers: grant.body.headers, body: bytes });
  expect(put.status).toBe(200);
  return grant.body.fileKey as string;
};

const extract = async (user: TestUserName, fileKey: string) => {
  const job = await submit(user, { type: 'resume.extract', payload: { fileKey } });
  expect(job.priority).toBe('high');
  return untilStatus(user, job.jobId, ['completed', 'failed']);
};

const EXPECTED_SECTIONS = {
  contact: {
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    phone: '+44 20 7946 0000',
    links: ['github.com/ada'],
  },
  summary: 'Mathematician who writes programs for analytical engines.',
  experience: 'Analyst, Babbage & Co, 1842 - 1843: wrote the first published algorithm.',
  education: 'Private tutoring in mathematics, London',
  skills: ['TypeScript', 'AWS Lambda', 'DynamoDB', 'Algorithms'],
};

test('a PDF uploaded with the presigned PUT comes back as sections, and the same file is not extracted twice', async () => {
  const pdf = await resumePdf();
  const fileKey = await upload('rupert', 'ada.pdf', 'application/pdf', pdf);
  const first = await extract('rupert', fileKey);
  expect(first.status).toBe('completed');
  expect(first.result).toMatchObject({ format: 'pdf', pages: 2, cached: false, sections: EXPECTED_SECTIONS });
  expect(first.result.fileHash).toMatch(/^[0-9a-f]{64}$/);
  expect(first.result.text).toContain('Babbage & Co');

  // The same bytes uploaded again under another name: served from the cache.
  const again = await extract('rupert', await upload('rupert', 'copy.pdf', 'application/pdf', pdf));
  expect(again.result).toMatchObject({
    fileHash: first.result.fileHash,
    cached: true,
    sections: EXPECTED_SECTIONS,
  });

  // Another user's identical file is theirs to extract.
  const bobs = await extract('sybil', await upload('sybil', 'ada.pdf', 'application/pdf', pdf));
  expect(bobs.result.cached).toBe(false);
});

test('a DOCX and a plain-text resume give the same sections', async () => {
  const docx = await extract(
    'trent',
    await upload(
      'trent',
      'ada.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      await resumeDocx(),
    ),
  );
  expect(docx.result).toMatchObject({ format: 'docx', sections: EXPECTED_SECTIONS });
  const txt = await extract(
    'trent',
    await upload('trent', 'ada.txt', 'text/plain', Buffer.from(RESUME_LINES.join('\n'))),
  );
  expect(txt.result).toMatchObject({ format: 'txt', sections: EXPECTED_SECTIONS });
});

test('a corrupt PDF fails at once with CORRUPT_FILE; an image fails with UNSUPPORTED_FILE', async () => {
  const corrupt = await extract(
    'trent',
    await upload(
      'trent',
      'broken.pdf',
      'application/pdf',
      Buffer.from('%PDF-1.7\n garbage that is not a pdf'),
    ),
  );
  expect(corrupt).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'CORRUPT_FILE', retryable: false },
  });
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const image = await extract('trent', await upload('trent', 'photo.png', 'image/png', png));
  expect(image).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'UNSUPPORTED_FILE' } });
});

test('a DOCX zip bomb fails its own job at once with FILE_TOO_COMPLEX; a resume submitted beside it completes', async () => {
  const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  // 200 MB of zeros in word/document.xml, about 200 KB uploaded.
  const bombKey = await upload('trent', 'bomb.docx', DOCX, await docxBomb());
  // A file of its own (not cached), so it is parsed beside the bomb.
  const pdf = await resumePdf([...RESUME_LINES, `Reference ${Date.now()}`]);
  const resumeKey = await upload('trent', 'neighbour.pdf', 'application/pdf', pdf);
  const submitted = await api('POST', '/v1/jobs/batch', {
    user: 'trent',
    body: {
      jobs: [
        { type: 'resume.extract', payload: { fileKey: bombKey } },
        { type: 'resume.extract', payload: { fileKey: resumeKey } },
      ],
    },
  });
  expect(submitted.status).toBe(202);
  const [bomb, neighbour] = submitted.body.jobs as { jobId: string }[];
  const [bombJob, neighbourJob] = await Promise.all([
    untilStatus('trent', bomb?.jobId ?? '', ['completed', 'failed']),
    untilStatus('trent', neighbour?.jobId ?? '', ['completed', 'failed']),
  ]);
  expect(bombJob).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'FILE_TOO_COMPLEX', retryable: false },
  });
  expect(bombJob.error.message).toContain('word/document.xml');
  expect(neighbourJob).toMatchObject({
    status: 'completed',
    attempts: 1,
    result: { format: 'pdf', cached: false, sections: { contact: { name: 'Ada Lovelace' } } },
  });
});

test("another user's fileKey is NOT_FOUND at submission", async () => {
  const fileKey = await upload(
    'rupert',
    'private.txt',
    'text/plain',
    Buffer.from('Ada Lovelace\nSkills\nMath'),
  );
  const reply = await api('POST', '/v1/jobs', {
    user: 'sybil',
    body: { type: 'resume.extract', payload: { fileKey } },
  });
  expect(reply.status).toBe(404);
  expect(reply.body.error.code).toBe('NOT_FOUND');
});
