import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { JobQueueClient } from '../../client';
import { api, eventually, localSqs, stack, token } from './support/client';

/**
 * GET /v1/admin/alarms end to end: the API function calls CloudWatch DescribeAlarms, which the
 * local cloud answers from the template's alarms, measured against the local queues.
 */
// The normal DLQ: no other end-to-end test reads or empties it, so its alarm stays raised.
const PRIORITY = 'normal';
const DLQ_ALARM = 'Messages in the normal DLQ';

type Alarm = {
  name: string;
  description: string;
  state: string;
  reason: string;
  since: string;
  metric?: { namespace: string; name: string; dimensions?: Record<string, string> };
  threshold: number;
  comparison: string;
};

const alarms = async (): Promise<Alarm[]> => {
  const reply = await api('GET', '/v1/admin/alarms', { user: 'admin' });
  expect(reply.status).toBe(200);
  return reply.body.alarms;
};

test('an admin sees every alarm of the stack, named as CloudFormation names them, with state, reason and since', async () => {
  const listed = await alarms();
  // The essential set: dead letters and oldest message per priority, dispatch lag, replay stalled,
  // replay dead letters, API 5xx.
  expect(listed).toHaveLength(12);
  for (const alarm of listed) {
    expect(alarm.name).toMatch(/^JobQueue-Monitoring[A-Za-z0-9]+-[A-Z0-9]+$/);
    expect(['OK', 'ALARM', 'INSUFFICIENT_DATA']).toContain(alarm.state);
    expect(alarm.reason).not.toBe('');
    expect(Number.isNaN(Date.parse(alarm.since))).toBe(false);
    expect(alarm.comparison).toBe('GreaterThanThreshold');
  }
  const lag = listed.find((alarm) => alarm.description === 'The dispatch stream consumer is falling behind');
  expect(lag).toMatchObject({
    state: 'INSUFFICIENT_DATA',
    reason: expect.stringContaining('not measured by the local cloud'),
    metric: { namespace: 'AWS/Lambda', name: 'IteratorAge' },
    threshold: 300_000,
  });
  const oldest = listed.find((alarm) => alarm.description === 'A low job has waited longer than 900 s');
  expect(oldest).toMatchObject({ state: 'OK', threshold: 900 });
  expect(oldest?.metric).toMatchObject({ namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage' });
  // ALARM first, then the rest by name.
  const firstNotAlarm = listed.findIndex((alarm) => alarm.state !== 'ALARM');
  const rest = listed.slice(firstNotAlarm === -1 ? listed.length : firstNotAlarm);
  expect(rest.every((alarm) => alarm.state !== 'ALARM')).toBe(true);
  expect(rest.map((alarm) => alarm.name)).toEqual(rest.map((alarm) => alarm.name).sort());
});

test('a user is refused with 403 in the contract’s error shape', async () => {
  const reply = await api('GET', '/v1/admin/alarms', { user: 'alice' });
  expect(reply.status).toBe(403);
  expect(reply.body).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
});

test('a dead letter raises its priority’s DLQ alarm, seen through the typed client', async () => {
  const { dlqUrl } = stack().queues[PRIORITY] as { dlqUrl: string };
  const sqs = localSqs();
  const client = new JobQueueClient({ url: stack().httpUrl, token: token('admin') });
  // Another test file may have left a dead letter there already (files share one local cloud).
  const earlier = (await client.alarms()).find((alarm) => alarm.description === DLQ_ALARM);
  const before = Date.now();
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'alarms.test: not a job message' }));

  const listed = await eventually(
    () => client.alarms(),
    (all) => all.find((alarm) => alarm.description === DLQ_ALARM)?.state === 'ALARM',
    15_000,
  );
  const raised = listed.find((alarm) => alarm.description === DLQ_ALARM);
  expect(raised).toMatchObject({
    state: 'ALARM',
    reason: expect.stringMatching(/^Threshold crossed: .* was [1-9]\d*, greater than the threshold \(0\)/),
    metric: { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible' },
    threshold: 0,
  });
  // It is listed first, and its state began when the first dead letter arrived (not at
  // start-up): this one's, or, if the alarm was raised already, the same `since` as then.
  expect(listed[0]?.state).toBe('ALARM');
  if (earlier?.state === 'ALARM') expect(raised?.since).toBe(earlier.since);
  else expect(Date.parse(raised?.since ?? '')).toBeGreaterThanOrEqual(before - 1000);
  // The other priorities' DLQ alarms are not raised by it.
  const low = listed.find((alarm) => alarm.description === 'Messages in the low DLQ');
  expect(low?.metric?.dimensions?.QueueName).not.toBe(raised?.metric?.dimensions?.QueueName);
});
