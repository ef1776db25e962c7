import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { readConfig } from '../core/config';
import { JobFailure } from './job-failure';
import type { JobContext } from './job-type';

export interface EmailPayload {
  readonly to: string | readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

const config = readConfig(['emailFrom']);
const ses = new SESv2Client({});

/** SES answers that mean this message can never be sent as it is. */
const REJECTED = new Set([
  'BadRequestException',
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'NotFoundException',
]);

/**
 * email.send: one SES v2 SendEmail. An address or message SES refuses fails at once
 * (`EMAIL_REJECTED`, not retryable); throttling and SES-side errors are retried with
 * backoff (`EMAIL_THROTTLED` / `EMAIL_UNAVAILABLE`).
 */
export const sendEmail = async (context: JobContext<EmailPayload>): Promise<{ messageId: string }> => {
  const { to, subject, text, html } = context.payload;
  try {
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: config.emailFrom,
        Destination: { ToAddresses: [to].flat() },
        Content: {
          Simple: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: text, Charset: 'UTF-8' },
              ...(html ? { Html: { Data: html, Charset: 'UTF-8' } } : {}),
            },
          },
        },
      }),
      { abortSignal: context.signal },
    );
    context.logger.info('Email sent', { messageId: MessageId });
    return { messageId: MessageId ?? '' };
  } catch (error) {
    if (error instanceof SESv2ServiceException) {
      if (REJECTED.has(error.name)) {
        throw new JobFailure('EMAIL_REJECTED', `SES refused the message: ${error.message}`, {
          retryable: false,
          cause: error,
        });
      }
      const throttled = error.name === 'TooManyRequestsException' || error.name === 'LimitExceededException';
      throw new JobFailure(
        throttled ? 'EMAIL_THROTTLED' : 'EMAIL_UNAVAILABLE',
        `SES could not take the message now: ${error.message}`,
        { retryable: true, cause: error },
      );
    }
    throw error;
  }
};
