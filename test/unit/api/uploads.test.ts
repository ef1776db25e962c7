import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createUpload } from '../../../lambdas/api/create-upload';
import { apiDependencies } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const USER = { id: 'user-1', isAdmin: false };
const MAX_BYTES = 10 * 1024 * 1024;
const valid = { fileName: 'cv.pdf', contentType: 'application/pdf', bytes: 1234 };

beforeEach(() => {
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
});

const upload = (body: unknown, uploadsPerDay?: number) =>
  createUpload(body, USER, apiDependencies({ uploadsPerDay }));

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

/** The 400 for `body`, and that nothing was reserved for it. */
const refusal = async (body: unknown) => {
  const error = (await caught(upload(body))) as {
    statusCode: number;
    code: string;
    message: string;
    details?: unknown;
  };
  expect(error).toMatchObject({
    statusCode: 400,
    code: 'VALIDATION_ERROR',
    message: 'The upload request is invalid.',
  });
  expect(dynamo.calls()).toHaveLength(0);
  return error.details;
};

describe('a granted upload', () => {
  test('answers a presigned PUT for the file under the caller’s prefix, valid 15 minutes', async () => {
    const grant = await upload(valid);
    const fileKey = grant.fileKey;
    expect(fileKey).toMatch(/^uploads\/user-1\/[0-9A-HJKMNP-TV-Z]{26}\/cv\.pdf$/);
    expect(grant).toEqual({
      uploadUrl: expect.any(String),
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', 'content-length': '1234' },
      fileKey,
      expiresAt: '2026-11-23T10:30:30.000Z',
      maxBytes: MAX_BYTES,
    });
    const url = new URL(grant.uploadUrl);
    expect(`${url.host}${decodeURIComponent(url.pathname)}`).toBe(
      `files-test.s3.eu-west-1.amazonaws.com/${fileKey}`,
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('x-id')).toBe('PutObject');
  });

  test('every grant gets its own key', async () => {
    const first = await upload(valid);
    const second = await upload(valid);
    expect(second.fileKey).not.toBe(first.fileKey);
  });

  test('takes one upload of the caller’s daily quota', async () => {
    await upload(valid, 7);
    const updates = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates).toEqual([
      expect.objectContaining({
        Key: { PK: 'QUOTA#uploads#user-1', SK: '2026-11-23' },
        ExpressionAttributeValues: expect.objectContaining({ ':count': 1, ':ceiling': 6 }),
      }),
    ]);
  });

  test('a used-up quota is 429 RATE_LIMITED for uploads, and no URL is made', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(caught(upload(valid, 3))).resolves.toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      details: { quota: 'uploads', limitPerDay: 3 },
    });
  });

  test.each([
    ['a.b.c', 'a.b.c'],
    ['...', '...'],
    ['my cv (final).pdf', 'my cv (final).pdf'],
    ['résumé\u0080.pdf', 'résumé\u0080.pdf'],
    ['x'.repeat(255), 'x'.repeat(255)],
  ])('the plain file name %j is kept as the key’s last segment', async (fileName, expected) => {
    const grant = await upload({ ...valid, fileName });
    expect(grant.fileKey.split('/').slice(3).join('/')).toBe(expected);
  });

  test.each([
    'application/pdf',
    'Application/PDF',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'a/b',
    '0/9',
    'x!#$&^_.+-y/z!#$&^_.+-w',
    `application/${'x'.repeat(255 - 'application/'.length)}`,
  ])('the content type %s is accepted and signed as given', async (contentType) => {
    const grant = await upload({ ...valid, contentType });
    expect(grant.headers).toEqual({ 'content-type': contentType, 'content-length': '1234' });
  });

  test('exactly maxBytes is allowed; the smallest file is one byte', async () => {
    await expect(upload({ ...valid, bytes: MAX_BYTES })).resolves.toMatchObject({
      headers: { 'content-length': String(MAX_BYTES) },
      maxBytes: MAX_BYTES,
    });
    await expect(upload({ ...valid, bytes: 1 })).resolves.toMatchObject({
      headers: { 'content-length': '1' },
    });
  });
});

describe('a refused upload', () => {
  test('one byte over maxBytes is 413 PAYLOAD_TOO_LARGE naming both sizes, before the quota', async () => {
    await expect(caught(upload({ ...valid, bytes: MAX_BYTES + 1 }))).resolves.toMatchObject({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The file is 10485761 bytes; uploads may be at most 10485760 bytes.',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test.each([
    '.',
    '..',
    'a/b',
    '/etc',
    'dir\\file',
    'nul\u0000.pdf',
    'tab\t.pdf',
    'line\nbreak',
    'us\u001f.pdf',
    'del\u007f.pdf',
  ])('the file name %j is not a plain file name', async (fileName) => {
    expect(await refusal({ ...valid, fileName })).toEqual({
      fields: [{ field: 'fileName', message: 'must be a plain file name' }],
    });
  });

  test.each(['', 'x'.repeat(256)])('a file name of length %#(empty or 256) is refused', async (fileName) => {
    expect(await refusal({ ...valid, fileName })).toMatchObject({ fields: [{ field: 'fileName' }] });
  });

  test.each([
    'application',
    'application/',
    '/pdf',
    '-x/pdf',
    'x/-pdf',
    ' application/pdf',
    'application/pdf ',
    'application/pdf; charset=utf-8',
    'application/pdf\n',
    'text/plain/extra',
    'app lication/pdf',
    'application/p@df',
  ])('the content type %j is refused', async (contentType) => {
    expect(await refusal({ ...valid, contentType })).toEqual({
      fields: [{ field: 'contentType', message: 'must be a MIME type such as application/pdf' }],
    });
  });

  test('a content type over 255 characters is refused', async () => {
    const contentType = `application/${'x'.repeat(256 - 'application/'.length)}`;
    expect(await refusal({ ...valid, contentType })).toMatchObject({ fields: [{ field: 'contentType' }] });
  });

  test.each([0, -1, 1.5, '1234', null])('bytes %p is refused', async (bytes) => {
    expect(await refusal({ ...valid, bytes })).toMatchObject({ fields: [{ field: 'bytes' }] });
  });

  test('an unknown field or a missing one is refused', async () => {
    expect(await refusal({ ...valid, bucket: 'other' })).toEqual(
      expect.objectContaining({ fields: [{ field: 'bucket', message: 'is not a known field' }] }),
    );
    const { contentType: _omitted, ...withoutType } = valid;
    expect(await refusal(withoutType)).toMatchObject({ fields: [{ field: 'contentType' }] });
  });
});
