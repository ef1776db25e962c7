/** API Gateway refuses a WebSocket message (PostToConnection `Data`) larger than this. */
export const MAX_FRAME_BYTES = 128 * 1024;

/** The job fields that can make a frame too large, the ones a truncated frame goes without. */
export const LARGE_JOB_FIELDS = ['result', 'payload', 'metadata'] as const;

/** A server → client frame of the WebSocket contract. */
export type ServerFrame = { readonly type: string; readonly [field: string]: unknown };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * The frame as it is sent. One that fits is unchanged; a larger one goes without its
 * large job fields (at the top level of a push, inside `job` of a snapshot), largest
 * first until it fits, and says `"truncated": true`: the client reads the job over HTTP.
 */
export const encodeFrame = (frame: ServerFrame): Buffer => {
  let text = JSON.stringify(frame);
  if (Buffer.byteLength(text) <= MAX_FRAME_BYTES) return Buffer.from(text);
  const fields: Record<string, unknown> = isRecord(frame.job) ? { ...frame.job } : { ...frame };
  const present = LARGE_JOB_FIELDS.filter((field) => fields[field] !== undefined).sort(
    (a, b) => bytesOf(fields[b]) - bytesOf(fields[a]),
  );
  for (const field of present) {
    delete fields[field];
    const truncated = isRecord(frame.job)
      ? { ...frame, job: fields, truncated: true }
      : { ...fields, truncated: true };
    text = JSON.stringify(truncated);
    if (Buffer.byteLength(text) <= MAX_FRAME_BYTES) break;
  }
  return Buffer.from(text);
};
