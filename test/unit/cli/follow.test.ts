import { applyFrame } from '../../../cli/follow';
import { formatTable, paint } from '../../../cli/output';
import type { JobFrame } from '../../../client';

const JOB_ID = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const frame = (fields: Record<string, unknown>) =>
  ({ jobId: JOB_ID, at: 'x', version: 2, ...fields }) as unknown as JobFrame;

describe('applyFrame', () => {
  test('a progress push updates progress and item counts; a status push keeps them', () => {
    let state = applyFrame(undefined, frame({ type: 'job.status', status: 'processing', attempt: 1 }));
    state = applyFrame(
      state,
      frame({
        type: 'job.progress',
        status: 'processing',
        progress: { percent: 30, stage: 'scoring' },
        items: { total: 10, processed: 3, failed: 0 },
      }),
    );
    state = applyFrame(state, frame({ type: 'job.status', status: 'retrying', attempt: 1 }));
    expect(state).toEqual({
      status: 'retrying',
      progress: { percent: 30, stage: 'scoring' },
      items: { total: 10, processed: 3, failed: 0 },
      attempt: 1,
    });
  });

  test('a new attempt starts without the last attempt’s progress', () => {
    const before = { status: 'retrying', progress: { percent: 80 }, attempt: 1 };
    expect(applyFrame(before, frame({ type: 'job.status', status: 'processing', attempt: 2 }))).toEqual({
      status: 'processing',
      progress: undefined,
      items: undefined,
      attempt: 2,
    });
  });
});

describe('formatTable', () => {
  test('aligns columns by what shows, not by colour codes', () => {
    const colored = paint({ colors: true }, 'green', 'ok');
    expect(
      formatTable(
        ['A', 'B'],
        [
          [colored, 'x'],
          ['longer', 'y'],
        ],
      ).replaceAll(colored, 'ok'),
    ).toBe('A       B\nok      x\nlonger  y\n');
  });
});
