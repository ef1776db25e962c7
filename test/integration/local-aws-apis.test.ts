import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mappingUuid } from '../../local/aws-endpoints';
import { getJob, sleep, stack, submit, untilStatus } from './support/client';

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

test('pausing a worker’s event source mapping holds its jobs; resuming runs them', async () => {
  const lambda = new LambdaClient({ region: stack().region, endpoint: localEndpoint(), credentials });
  const UUID = lowWorkerMapping();
  try {
    const paused = await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    expect(paused.State).toBe('Disabled');
    // A receive already waiting may still take one batch: let it finish first.
    await sleep(1500);
    const job = await submit('niaj', {
      type: 'system.simulate',
      payload: { durationMs: 10 },
      priority: 'low',
    });
    await sleep(3000);
    expect((await getJob('niaj', job.jobId)).status).toBe('queued');
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID }))).State).toBe('Disabled');

    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true }));
    await untilStatus('niaj', job.jobId, ['completed']);
  } finally {
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true }));
  }
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
