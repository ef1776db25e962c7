import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { backoffSeconds } from '../../../lambdas/core/backoff';
import { delayFor, jobMessageSchema, MAX_SQS_DELAY_SECONDS } from '../../../lambdas/core/job-message';
import { isJobStatus, isTerminal } from '../../../lambdas/core/job-status';
import { jobLogger, logger } from '../../../lambdas/core/observability';
import { isPriority } from '../../../lambdas/core/priority';
import { encodeFrame, MAX_FRAME_BYTES } from '../../../lambdas/core/socket-frame';
import { jobChangeOf } from '../../../lambdas/core/stream-image';
import { INDEX, keys, scopes } from '../../../lambdas/core/table-keys';
import { canSee } from '../../../lambdas/core/user';

const NOW = new Date('2026-11-23T10:00:00.000Z');

describe('delayFor (seconds to hold a queue message)', () => {
  test.each([
    ['no runAt', undefined, 0],
    ['an empty runAt', '', 0],
    ['a past runAt', '2026-11-23T09:59:00.000Z', 0],
    ['now', '2026-11-23T10:00:00.000Z', 0],
    ['a partial second, rounded up', '2026-11-23T10:00:10.001Z', 11],
    ['exactly the SQS maximum', '2026-11-23T10:15:00.000Z', 900],
    ['past the SQS maximum, capped', '2026-11-24T10:00:00.000Z', MAX_SQS_DELAY_SECONDS],
  ])('%s → %i s', (_name, runAt, seconds) => {
    expect(delayFor(runAt, NOW)).toBe(seconds);
  });

  test('a message carries a job id and a whole attempt from 1', () => {
    expect(jobMessageSchema.safeParse({ jobId: 'j', attempt: 1 }).success).toBe(true);
    expect(jobMessageSchema.safeParse({ jobId: 'j', attempt: 0 }).success).toBe(false);
    expect(jobMessageSchema.safeParse({ jobId: '', attempt: 1 }).success).toBe(false);
  });
});

describe('canSee', () => {
  test.each([
    ['the owner', { id: 'alice', isAdmin: false }, true],
    ['an admin, for anyone’s job', { id: 'operator', isAdmin: true }, true],
    ['another user', { id: 'bob', isAdmin: false }, false],
  ])('%s → %s', (_name, user, expected) => {
    expect(canSee(user, { userId: 'alice' })).toBe(expected);
  });
});

describe('type guards', () => {
  test('isJobStatus accepts the seven statuses only', () => {
    expect(isJobStatus('retrying')).toBe(true);
    expect(isJobStatus('Retrying')).toBe(false);
    expect(isJobStatus(1)).toBe(false);
    expect(isTerminal('failed')).toBe(true);
    expect(isTerminal('retrying')).toBe(false);
  });

  test('isPriority accepts the four names only', () => {
    expect(isPriority('critical')).toBe(true);
    expect(isPriority('urgent')).toBe(false);
    expect(isPriority(20)).toBe(false);
  });
});

describe('backoff before the first failure', () => {
  test('attempt 0 waits the base, like attempt 1', () => {
    expect(backoffSeconds({ baseSeconds: 3, maxSeconds: 60 }, 0, () => 0)).toBe(3);
    expect(backoffSeconds({ baseSeconds: 3, maxSeconds: 60 }, 1, () => 1)).toBe(3.75);
  });

  test('without a random source, Math.random sets the jitter', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(backoffSeconds({ baseSeconds: 2, maxSeconds: 60 }, 2)).toBe(4.5);
    } finally {
      random.mockRestore();
    }
  });
});

describe('jobLogger', () => {
  const childKeys = (job: Parameters<typeof jobLogger>[0]) => {
    const createChild = jest.spyOn(logger, 'createChild');
    try {
      jobLogger(job);
      return createChild.mock.calls[0]?.[0];
    } finally {
      createChild.mockRestore();
    }
  };

  test('every line names the job, its correlation id and type', () => {
    expect(childKeys({ jobId: 'j-1', correlationId: 'order-7', type: 'email.send' })).toEqual({
      persistentKeys: { jobId: 'j-1', correlationId: 'order-7', jobType: 'email.send' },
    });
  });

  test('absent or empty fields are left out', () => {
    expect(childKeys({ jobId: 'j-1', correlationId: '', type: '' })).toEqual({
      persistentKeys: { jobId: 'j-1' },
    });
  });
});

describe('jobChangeOf (DynamoDB stream records of job items)', () => {
  const image = (fields: Record<string, unknown>) =>
    marshall({ PK: 'JOB#j', SK: 'JOB', jobId: 'j', events: [], ...fields }) as Record<string, AttributeValue>;

  test('old and new images become jobs without table keys', () => {
    const change = jobChangeOf({
      eventName: 'MODIFY',
      dynamodb: { OldImage: image({ status: 'queued' }), NewImage: image({ status: 'processing' }) },
    } as DynamoDBRecord);
    expect(change).toEqual({
      eventName: 'MODIFY',
      oldJob: { jobId: 'j', events: [], status: 'queued' },
      newJob: { jobId: 'j', events: [], status: 'processing' },
    });
  });

  test('an insert has no old job; a record without a name counts as a change', () => {
    expect(jobChangeOf({ eventName: 'INSERT', dynamodb: { NewImage: image({}) } } as DynamoDBRecord)).toEqual(
      {
        eventName: 'INSERT',
        oldJob: undefined,
        newJob: { jobId: 'j', events: [] },
      },
    );
    expect(jobChangeOf({} as DynamoDBRecord)).toEqual({
      eventName: 'MODIFY',
      oldJob: undefined,
      newJob: undefined,
    });
  });
});

describe('table keys', () => {
  test('every key shape of the single table', () => {
    expect(keys.job('j')).toEqual({ PK: 'JOB#j', SK: 'JOB' });
    expect(keys.item('j', 42)).toEqual({ PK: 'JOB#j', SK: 'ITEM#000042' });
    expect(keys.itemPrefix).toBe('ITEM#');
    expect(keys.userIndex('u', '2026-11-23T10:00:00.000Z', 'j')).toEqual({
      GSI1PK: 'USER#u',
      GSI1SK: '2026-11-23T10:00:00.000Z#j',
    });
    expect(keys.userIndexPartition('u')).toBe('USER#u');
    expect(keys.statusIndexPartition('queued', 'j')).toMatch(/^STATUS#queued#[0-7]$/);
    expect(keys.statusIndexPartitionOfShard('failed', 3)).toBe('STATUS#failed#3');
    expect(keys.idempotency('u', 'k')).toEqual({ PK: 'IDEM#u#k', SK: 'IDEM' });
    expect(keys.rateWindow('u', '2026-11-23T10:15')).toEqual({ PK: 'RATE#u', SK: '2026-11-23T10:15' });
    expect(keys.dailyQuota('emails', 'u', '2026-11-23')).toEqual({ PK: 'QUOTA#emails#u', SK: '2026-11-23' });
    expect(keys.typeRateWindow('email.send', 17)).toEqual({ PK: 'TYPERATE#email.send', SK: '17' });
    expect(keys.entityVersions('u#order#7')).toEqual({ PK: 'ENTITY#u#order#7', SK: 'VERSION' });
    expect(keys.stats('2026-11-23')).toBe('STATS#2026-11-23');
    expect(keys.rollup('2026-11-23', 'hour', 'ALL')).toEqual({ PK: 'ROLLUP#2026-11-23', SK: 'hour#ALL' });
    expect(keys.statsSort('ALL', 'email.send', 'low')).toBe('ALL#email.send#low');
    expect(keys.gauge('ALL')).toEqual({ PK: 'GAUGE#ALL', SK: 'STATUS' });
    expect(keys.connection('c')).toEqual({ PK: 'CONN#c', SK: 'CONN' });
    expect(keys.jobSubscription('j')).toBe('SUB#j');
    expect(keys.userSubscription('u')).toBe('SUB#USER#u');
    expect(keys.subscriptionSort('c')).toBe('CONN#c');
    // No lease index: stalled jobs surface through their own message (lambdas/worker/lifecycle.ts).
    expect(INDEX).toEqual({ user: 'UserJobs', status: 'StatusJobs' });
    expect(scopes.all).toBe('ALL');
    expect(scopes.user('u')).toBe('USER#u');
  });

  test('shards spread job ids and stay stable for one id', () => {
    const ids = Array.from({ length: 200 }, (_, index) => `job-${index}`);
    expect(new Set(ids.map((id) => keys.statusIndexPartition('queued', id))).size).toBe(8);
    expect(keys.statusIndexPartition('queued', 'job-1')).toBe(keys.statusIndexPartition('queued', 'job-1'));
  });
});

describe('encodeFrame at the limit', () => {
  test('a frame of exactly 128 KB is sent whole', () => {
    const overhead = JSON.stringify({ type: 't', result: '' }).length;
    const frame = { type: 't', result: 'r'.repeat(MAX_FRAME_BYTES - overhead) };
    const data = encodeFrame(frame);
    expect(data.byteLength).toBe(MAX_FRAME_BYTES);
    expect(JSON.parse(data.toString('utf8'))).toEqual(frame);
  });

  test('one byte more goes without the large field', () => {
    const overhead = JSON.stringify({ type: 't', result: '' }).length;
    const frame = { type: 't', result: 'r'.repeat(MAX_FRAME_BYTES - overhead + 1) };
    expect(JSON.parse(encodeFrame(frame).toString('utf8'))).toEqual({ type: 't', truncated: true });
  });

  test('a frame whose job is not an object sheds its own large fields', () => {
    const frame = { type: 't', job: 'j', payload: 'p'.repeat(MAX_FRAME_BYTES) };
    expect(JSON.parse(encodeFrame(frame).toString('utf8'))).toEqual({ type: 't', job: 'j', truncated: true });
  });
});
