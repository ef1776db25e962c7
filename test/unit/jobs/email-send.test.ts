import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JobFailure } from '../../../lambdas/jobs/job-failure';

process.env.EMAIL_FROM = 'jobs@example.com';
const ses = mockClient(SESv2Client);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const context = (payload: Record<string, unknown>) => ({
  jobId: 'job-1',
  userId: 'user-1',
  payload: payload as never,
  attempt: 1,
  maxAttempts: 5,
  idempotencyKey: 'job-1:1',
  signal: new AbortController().signal,
  progress: async () => {},
  logger: silent,
});

const sesError = (name: string) =>
  new SESv2ServiceException({ name, $fault: 'client', $metadata: {}, message: `${name} happened` });

const load = async () => (await import('../../../lambdas/jobs/email-send')).sendEmail;

beforeEach(() => ses.reset());

test('sends one SES v2 email from the configured sender and returns its message id', async () => {
  ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
  const sendEmail = await load();
  const result = await sendEmail(
    context({ to: 'ada@example.com', subject: 'Hi', text: 'Hello', html: '<p>Hello</p>' }),
  );
  expect(result).toEqual({ messageId: 'm-1' });
  expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
    FromEmailAddress: 'jobs@example.com',
    Destination: { ToAddresses: ['ada@example.com'] },
    Content: {
      Simple: {
        Subject: { Data: 'Hi', Charset: 'UTF-8' },
        Body: { Text: { Data: 'Hello', Charset: 'UTF-8' }, Html: { Data: '<p>Hello</p>', Charset: 'UTF-8' } },
      },
    },
  });
});

test.each([
  ['MessageRejected', 'EMAIL_REJECTED', false],
  ['BadRequestException', 'EMAIL_REJECTED', false],
  ['TooManyRequestsException', 'EMAIL_THROTTLED', true],
  ['InternalFailure', 'EMAIL_UNAVAILABLE', true],
])('SES %s becomes %s (retryable: %s)', async (name, code, retryable) => {
  ses.on(SendEmailCommand).rejects(sesError(name));
  const sendEmail = await load();
  const failure = await sendEmail(context({ to: ['ada@example.com'], subject: 'Hi', text: 'x' })).catch(
    (error) => error,
  );
  expect(failure).toBeInstanceOf(JobFailure);
  expect(failure).toMatchObject({ code, retryable });
});
