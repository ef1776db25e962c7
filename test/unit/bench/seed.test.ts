import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { finishedJob, seedJobs } from '../../../bench/seed';
import { keys } from '../../../lambdas/core/table-keys';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

describe('seeding the job table for the read-latency figures', () => {
  it('builds a finished no-op job, so nothing is dispatched or run', () => {
    const now = new Date('2026-11-29T23:00:00.000Z');
    const job = finishedJob('user-1', now);
    expect(job).toMatchObject({
      userId: 'user-1',
      type: 'system.simulate',
      status: 'completed',
      attempts: 1,
      createdAt: '2026-11-29T23:00:00.000Z',
      completedAt: '2026-11-29T23:00:00.010Z',
      durationMs: 5,
    });
    expect(job.events.map((event) => event.to)).toEqual(['queued', 'processing', 'completed']);
    expect(job.expiresAt).toBe(Math.floor(now.getTime() / 1000) + 7 * 24 * 3600);
  });

  it("writes each owner's jobs through JobStore.create, one PutItem each, at most `concurrency` at once", async () => {
    let inFlight = 0;
    let most = 0;
    dynamo.on(PutCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return {};
    });
    const jobIds = await seedJobs(
      new DynamoDBClient({}),
      'jobs-bench',
      [
        { userId: 'many', jobs: 7 },
        { userId: 'few', jobs: 2 },
      ],
      3,
    );
    const puts = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(9);
    expect(new Set(jobIds).size).toBe(9);
    expect(most).toBe(3);
    expect(puts.every((put) => put.TableName === 'jobs-bench')).toBe(true);
    expect(puts.filter((put) => put.Item?.userId === 'many')).toHaveLength(7);
    // The store's own keys, whatever they are today: the seeded items stay in step with the API's.
    for (const put of puts) {
      expect(put.Item).toMatchObject({ ...keys.job(String(put.Item?.jobId)), status: 'completed' });
    }
    expect(puts.map((put) => put.Item?.jobId).sort()).toEqual([...jobIds].sort());
  });
});
