import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalAiEndpoint } from './ai-endpoint';
import type { LocalAlarms } from './cloudwatch-alarms';
import { readBody } from './net';

/** One email the SES v2 mail sink accepted. */
export interface SentMail {
  readonly messageId: string;
  readonly at: string;
  readonly from?: string;
  readonly to: string[];
  readonly cc: string[];
  readonly bcc: string[];
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
}

/** What the Lambda event-source-mapping API can read and change locally. */
export interface ManagedMapping {
  readonly uuid: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  enabled: boolean;
  readonly batchSize: number;
  readonly batchingWindowSeconds?: number;
  maxConcurrency?: number;
}

/** The ARN a secret's `Ref` stands for locally. */
export const localSecretArn = (region: string, logicalId: string) =>
  `arn:aws:secretsmanager:${region}:000000000000:secret:${logicalId}-local`;

/** The UUID a mapping's `Ref` stands for, stable across restarts. */
export const mappingUuid = (logicalId: string): string => {
  const hex = createHash('sha256').update(logicalId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
/** SES accepts `Name <address>` too. */
const addressOf = (value: string) => /<([^>]+)>\s*$/.exec(value)?.[1] ?? value;

const reply = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(JSON.stringify(body));
};

/**
 * The AWS APIs the local cloud serves itself, on the dashboard port: SES v2 SendEmail (a
 * mail sink), Lambda Get/UpdateEventSourceMapping and CloudWatch DescribeAlarms; beside
 * them the AI provider's stand-in (local/ai-endpoint.ts). Functions reach them through the
 * SDK's standard AWS_ENDPOINT_URL_SESV2 / _LAMBDA / _CLOUDWATCH.
 */
export class LocalAwsEndpoints {
  readonly mail: SentMail[] = [];
  /** The OpenAI-compatible stand-in the ai.* jobs call (local/ai-endpoint.ts). */
  readonly ai = new LocalAiEndpoint();
  private readonly mappings = new Map<string, ManagedMapping>();
  private readonly secrets = new Map<string, { arn: string; name: string; value: string }>();
  /** CloudWatch DescribeAlarms (local/cloudwatch-alarms.ts), once the local cloud can measure. */
  private alarms: LocalAlarms | undefined;

  serveAlarms(alarms: LocalAlarms): void {
    this.alarms = alarms;
  }

  addSecret(arn: string, name: string, value: string): void {
    const secret = { arn, name, value };
    this.secrets.set(arn, secret);
    this.secrets.set(name, secret);
  }

  addMapping(mapping: ManagedMapping): void {
    this.mappings.set(mapping.uuid, mapping);
  }

  /** Handles the request if it is one of these APIs; false otherwise. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://local');
    if (await this.ai.handle(request, response)) return true;
    if (this.alarms && (await this.alarms.handle(request, response))) return true;
    if (request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') {
      await this.getSecretValue(request, response);
      return true;
    }
    if (url.pathname === '/v2/email/outbound-emails' && request.method === 'POST') {
      await this.sendEmail(request, response);
      return true;
    }
    const mapping = /^\/2015-03-31\/event-source-mappings\/([^/]+)\/?$/.exec(url.pathname);
    if (mapping) {
      await this.eventSourceMapping(decodeURIComponent(mapping[1] as string), request, response);
      return true;
    }
    return false;
  }

  /** Secrets Manager's JSON 1.1 GetSecretValue. */
  private async getSecretValue(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const jsonReply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
    let secretId: unknown;
    try {
      secretId = JSON.parse((await readBody(request, 64 * 1024)).toString('utf8')).SecretId;
    } catch {
      return jsonReply(400, { __type: 'InvalidRequestException', message: 'Malformed request body' });
    }
    const secret = this.secrets.get(String(secretId));
    if (!secret) {
      return jsonReply(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    jsonReply(200, {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: 'local',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Math.floor(Date.now() / 1000),
    });
  }

  private async sendEmail(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let input: any;
    try {
      input = JSON.parse((await readBody(request, 10 * 1024 * 1024)).toString('utf8'));
    } catch {
      return reply(response, 400, { message: 'Malformed request body' }, 'BadRequestException');
    }
    const destination = input?.Destination ?? {};
    const to: string[] = destination.ToAddresses ?? [];
    const cc: string[] = destination.CcAddresses ?? [];
    const bcc: string[] = destination.BccAddresses ?? [];
    const all = [...to, ...cc, ...bcc];
    if (all.length === 0)
      return reply(response, 400, { message: 'Missing recipients' }, 'BadRequestException');
    const invalid = [...all, ...(input.FromEmailAddress ? [input.FromEmailAddress] : [])].find(
      (address) => !EMAIL.test(addressOf(String(address))),
    );
    if (invalid) {
      return reply(response, 400, { message: `Invalid email address: ${invalid}` }, 'BadRequestException');
    }
    const simple = input?.Content?.Simple;
    const messageId = `local-${randomUUID()}`;
    this.mail.push({
      messageId,
      at: new Date().toISOString(),
      from: input.FromEmailAddress,
      to,
      cc,
      bcc,
      subject: simple?.Subject?.Data,
      text: simple?.Body?.Text?.Data,
      html: simple?.Body?.Html?.Data,
    });
    if (this.mail.length > 1000) this.mail.shift();
    reply(response, 200, { MessageId: messageId });
  }

  private async eventSourceMapping(uuid: string, request: IncomingMessage, response: ServerResponse) {
    const mapping = this.mappings.get(uuid);
    if (!mapping) {
      return reply(
        response,
        404,
        { Type: 'User', Message: `No event source mapping ${uuid}` },
        'ResourceNotFoundException',
      );
    }
    if (request.method === 'PUT') {
      let input: any;
      try {
        input = JSON.parse((await readBody(request, 1024 * 1024)).toString('utf8') || '{}');
      } catch {
        return reply(response, 400, { message: 'Malformed request body' }, 'InvalidParameterValueException');
      }
      if (typeof input.Enabled === 'boolean') mapping.enabled = input.Enabled;
      const concurrency = input.ScalingConfig?.MaximumConcurrency;
      if (typeof concurrency === 'number' && concurrency >= 2) mapping.maxConcurrency = concurrency;
      return reply(response, 202, this.describe(mapping));
    }
    if (request.method === 'GET') return reply(response, 200, this.describe(mapping));
    reply(response, 405, { message: 'Method not allowed' });
  }

  private describe(mapping: ManagedMapping) {
    return {
      UUID: mapping.uuid,
      State: mapping.enabled ? 'Enabled' : 'Disabled',
      StateTransitionReason: 'USER_INITIATED',
      EventSourceArn: mapping.eventSourceArn,
      FunctionArn: mapping.functionArn,
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: mapping.batchingWindowSeconds,
      ...(mapping.maxConcurrency ? { ScalingConfig: { MaximumConcurrency: mapping.maxConcurrency } } : {}),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      LastModified: Math.floor(Date.now() / 1000),
    };
  }
}
