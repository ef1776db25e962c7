import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { mappingUuid } from '../../local/aws-endpoints';
import { api, eventually, getJob, localSqs, sleep, stack, submit, untilStatus } from './support/client';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const localEndpoint = () => stack().dashboardUrl.replace(/\/$/, '');

/** The UUID of the low-priority worker's event source mapping, as its `Ref` resolves locally. */
const lowWorkerMapping = (): string => {
  const template = JSON.parse(
    readFileSync(path.resolve(__dirname, '../../cdk.out/JobQueue.template.json'), 'utf8'),
  );
  const [id] = Object.entries<any>(template.Resources).find(
    ([logicalId, resource]) =>
      resource.Type === 'AWS::Lambda::EventSourceMapping' && logicalId.startsWith('WorkersLowWorker'),
  ) as [string, unknown];
  return mappingUuid(id);
};

test('the Lambda event-source-mapping API reads and switches a worker mapping (what pause/resume uses)', async () => {
  const lambda = new LambdaClient({ region: stack().region, endpoint: localEndpoint(), credentials });
  const UUID = lowWorkerMapping();
  try {
    const before = await lambda.send(new GetEventSourceMappingCommand({ UUID }));
    expect(before).toMatchObject({ UUID, State: 'Enabled', BatchSize: 10 });
    const paused = await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    expect(paused.State).toBe('Disabled');
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID }))).State).toBe('Disabled');
  } finally {
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true }));
  }
  expect((await lambda.send(new GetEventSourceMappingCommand({ UUID }))).State).toBe('Enabled');
  await expect(
    lambda.send(new GetEventSourceMappingCommand({ UUID: 'no-such-mapping' })),
  ).rejects.toMatchObject({
    name: 'ResourceNotFoundException',
  });
});

test('SES v2 SendEmail lands in the local mail sink; a bad address is refused', async () => {
  const ses = new SESv2Client({ region: stack().region, endpoint: localEndpoint(), credentials });
  const subject = `Welcome ${Date.now()}`;
  const sent = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: 'jobs@example.com',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'Hello Ada' } } } },
    }),
  );
  expect(sent.MessageId).toMatch(/^local-/);
  const { mail } = (await (await fetch(`${localEndpoint()}/api/mail`)).json()) as { mail: any[] };
  expect(mail.find((entry) => entry.subject === subject)).toMatchObject({
    to: ['ada@example.com'],
    text: 'Hello Ada',
  });
  await expect(
    ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'jobs@example.com',
        Destination: { ToAddresses: ['not-an-address'] },
        Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' } } } },
      }),
    ),
  ).rejects.toMatchObject({ name: 'BadRequestException' });
});

describe('admin queue routes', () => {
  test('only admins may manage queues', async () => {
    for (const [method, path] of [
      ['GET', '/v1/queues'],
      ['POST', '/v1/queues/low/pause'],
      ['GET', '/v1/queues/low/dlq'],
      ['POST', '/v1/queues/low/dlq/redrive'],
    ] as const) {
      const reply = await api(method, path, { user: 'niaj' });
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('FORBIDDEN');
    }
    expect((await api('POST', '/v1/queues/urgent/pause', { user: 'admin' })).status).toBe(404);
  });

  test('GET /v1/queues lists the four queues; pause holds jobs, resume runs them', async () => {
    const listed = await api('GET', '/v1/queues', { user: 'admin' });
    expect(listed.status).toBe(200);
    expect(listed.body.queues.map((queue: { priority: string }) => queue.priority)).toEqual([
      'critical',
      'high',
      'normal',
      'low',
    ]);
    expect(listed.body.queues[0]).toEqual({
      priority: 'critical',
      paused: false,
      waiting: expect.any(Number),
      inFlight: expect.any(Number),
      delayed: expect.any(Number),
      dlq: expect.any(Number),
    });
    try {
      const paused = await api('POST', '/v1/queues/low/pause', { user: 'admin' });
      expect(paused.body).toMatchObject({ priority: 'low', paused: true });
      await sleep(1500);
      const job = await submit('niaj', {
        type: 'system.simulate',
        payload: { durationMs: 10 },
        priority: 'low',
      });
      await sleep(3000);
      expect((await getJob('niaj', job.jobId)).status).toBe('queued');
      const queues = (await api('GET', '/v1/queues', { user: 'admin' })).body.queues;
      expect(queues.find((queue: { priority: string }) => queue.priority === 'low')).toMatchObject({
        paused: true,
      });
      const resumed = await api('POST', '/v1/queues/low/resume', { user: 'admin' });
      expect(resumed.body).toMatchObject({ priority: 'low', paused: false });
      await untilStatus('niaj', job.jobId, ['completed']);
    } finally {
      await api('POST', '/v1/queues/low/resume', { user: 'admin' });
    }
  });

  test('dead letters can be peeked without removal, redriven and purged', async () => {
    const { url, dlqUrl } = stack().queues.high as { url: string; dlqUrl: string };
    const sqs = localSqs();
    // A job message for a job that does not exist: redriven, the worker drops it.
    const orphan = JSON.stringify({ jobId: '01JD0000000000000000000000', attempt: 1 });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: orphan }));
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'not a job message' }));

    const peek = await api('GET', '/v1/queues/high/dlq?limit=10', { user: 'admin' });
    expect(peek.status).toBe(200);
    expect(peek.body.messages).toHaveLength(2);
    expect(peek.body.messages.map((message: { jobId: string | null }) => message.jobId).sort()).toEqual([
      '01JD0000000000000000000000',
      null,
    ]);
    expect(peek.body.messages[0]).toMatchObject({ receiveCount: 0, sentAt: expect.any(String) });
    // Nothing was removed.
    expect((await api('GET', '/v1/queues/high/dlq', { user: 'admin' })).body.messages).toHaveLength(2);
    expect((await api('GET', '/v1/queues/high/dlq?limit=0', { user: 'admin' })).status).toBe(400);

    const redriven = await api('POST', '/v1/queues/high/dlq/redrive', { user: 'admin' });
    expect(redriven.body).toEqual({ moved: 2 });
    // The poison message comes back to the DLQ after its receives; the orphan is dropped.
    const back = await eventually(
      () => api('GET', '/v1/queues/high/dlq', { user: 'admin' }),
      (reply) => reply.body.messages.length === 1,
      60_000,
      1000,
    );
    expect(back.body.messages[0].jobId).toBeNull();
    const purged = await api('POST', '/v1/queues/high/dlq/purge', { user: 'admin' });
    expect(purged.body).toEqual({ purged: 1 });
    expect((await api('GET', '/v1/queues/high/dlq', { user: 'admin' })).body.messages).toEqual([]);
    expect(url).toBeTruthy();
  });
});
