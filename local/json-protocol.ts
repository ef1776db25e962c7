import { Agent, request } from 'node:http';

/**
 * The local cloud's own pollers (stream and queue event sources) speak the AWS JSON 1.0
 * protocol raw, with `JSON.parse` as the only decoding. Through the AWS SDK, its
 * schema-driven serde and per-call middleware took about half of the main thread under
 * load (CPU profile of 3,000 batched jobs: `@smithy/core` 30 % of all samples, 48 % of the
 * busy ones), and that thread also serves the HTTP and WebSocket gateways. The wire format
 * of a stream record already is Lambda's event format.
 *
 * Only for local emulators that ignore signatures: the Authorization header names a
 * credential (DynamoDB Local asks for one) and carries no real signature.
 */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(`${type}: ${message}`);
    this.name = 'AwsJsonError';
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/local/aws4_request, SignedHeaders=host, Signature=0';

export interface AwsJsonClient {
  call<T>(operation: string, input: unknown): Promise<T>;
}

/** A client for one service's JSON 1.0 API (`targetPrefix` as in `X-Amz-Target`, e.g. `DynamoDBStreams_20120810`). */
export const awsJsonClient = (endpoint: string, targetPrefix: string): AwsJsonClient => {
  const url = new URL(endpoint);
  return {
    call: <T>(operation: string, input: unknown) =>
      new Promise<T>((resolve, reject) => {
        const body = JSON.stringify(input);
        const outgoing = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'content-length': Buffer.byteLength(body),
              'x-amz-target': `${targetPrefix}.${operation}`,
              authorization: AUTHORIZATION,
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: any;
              try {
                parsed = text ? JSON.parse(text) : {};
              } catch {
                return reject(
                  new AwsJsonError('InvalidResponse', text.slice(0, 200), response.statusCode ?? 0),
                );
              }
              if ((response.statusCode ?? 500) >= 300) {
                const type = String(parsed.__type ?? 'UnknownError').replace(/^.*#/, '');
                return reject(
                  new AwsJsonError(
                    type,
                    String(parsed.message ?? parsed.Message ?? ''),
                    response.statusCode ?? 0,
                  ),
                );
              }
              resolve(parsed as T);
            });
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      }),
  };
};
