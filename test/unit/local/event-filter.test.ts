import { passesFilters } from '../../../local/event-filter';

/** The notify mapping's pattern as CDK synthesizes it (lib/constructs/stream-consumers.ts). */
const WATCHED_JOB_CHANGES = [
  {
    Pattern: JSON.stringify({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { SK: { S: ['JOB'] }, watched: { BOOL: [true] } } },
    }),
  },
];

const record = (eventName: string, newImage?: Record<string, unknown>) => ({
  eventName,
  dynamodb: { ...(newImage ? { NewImage: newImage } : {}) },
});
const job = (fields: Record<string, unknown> = {}) => ({
  PK: { S: 'JOB#01JD0000000000000000000000' },
  SK: { S: 'JOB' },
  status: { S: 'queued' },
  ...fields,
});

describe('the local cloud honours the notify mapping’s watched-job filter', () => {
  test.each([
    ['an insert of a watched job', record('INSERT', job({ watched: { BOOL: true } }))],
    ['a change of a watched job', record('MODIFY', job({ watched: { BOOL: true } }))],
  ])('%s passes', (_name, change) => {
    expect(passesFilters(WATCHED_JOB_CHANGES, change)).toBe(true);
  });

  test.each([
    ['a job nobody watches', record('MODIFY', job())],
    ['a job whose flag is false', record('MODIFY', job({ watched: { BOOL: false } }))],
    ['a flag of another type', record('MODIFY', job({ watched: { S: 'true' } }))],
    [
      'a watched item that is not a job',
      record('MODIFY', job({ SK: { S: 'CONN' }, watched: { BOOL: true } })),
    ],
    ['a removal (no new image)', record('REMOVE')],
  ])('%s is filtered out', (_name, change) => {
    expect(passesFilters(WATCHED_JOB_CHANGES, change)).toBe(false);
  });
});
