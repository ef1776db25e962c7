import { encodeFrame, MAX_FRAME_BYTES } from '../../../lambdas/core/socket-frame';

const KB = 1024;
const decode = (data: Buffer) => JSON.parse(data.toString('utf8'));

describe('encodeFrame (API Gateway’s 128 KB message limit)', () => {
  test('a frame that fits is sent as it is', () => {
    const frame = {
      type: 'job.completed',
      jobId: 'j',
      status: 'completed',
      at: 'now',
      result: 'r'.repeat(100 * KB),
    };
    expect(decode(encodeFrame(frame))).toEqual(frame);
  });

  test('a push over the limit goes without its large field and says truncated', () => {
    const frame = {
      type: 'job.completed',
      jobId: 'j',
      status: 'completed',
      at: 'now',
      result: 'r'.repeat(130 * KB),
    };
    const data = encodeFrame(frame);
    expect(data.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(decode(data)).toEqual({
      type: 'job.completed',
      jobId: 'j',
      status: 'completed',
      at: 'now',
      truncated: true,
    });
  });

  test('the limit counts bytes, not characters', () => {
    // 50 K three-byte characters: 150 KB on the wire, 50 K string length.
    const frame = {
      type: 'job.completed',
      jobId: 'j',
      status: 'completed',
      at: 'now',
      result: '€'.repeat(50 * KB),
    };
    expect(decode(encodeFrame(frame))).toMatchObject({ truncated: true });
  });

  test('a snapshot sheds the largest job fields first and keeps the smaller ones that fit', () => {
    const job = {
      jobId: 'j',
      status: 'completed',
      payload: 'p'.repeat(90 * KB),
      result: 'r'.repeat(60 * KB),
      metadata: { m: 1 },
    };
    const sent = decode(encodeFrame({ type: 'job.snapshot', job }));
    expect(sent).toEqual({
      type: 'job.snapshot',
      job: { jobId: 'j', status: 'completed', result: job.result, metadata: { m: 1 } },
      truncated: true,
    });
  });

  test('as many fields go as needed: payload, result and metadata together', () => {
    const job = {
      jobId: 'j',
      payload: 'p'.repeat(150 * KB),
      result: 'r'.repeat(150 * KB),
      metadata: { blob: 'm'.repeat(150 * KB) },
    };
    const data = encodeFrame({ type: 'job.snapshot', job });
    expect(data.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(decode(data)).toEqual({ type: 'job.snapshot', job: { jobId: 'j' }, truncated: true });
  });
});
