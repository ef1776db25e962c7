import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen, readBody } from './net';
import type { UsageLedger } from './usage-ledger';

/**
 * A counting proxy in front of the local AWS endpoints. Each caller (a function's logical
 * id, the event source mappings …) gets its own endpoint, `/m/<caller>/<service>`, so every
 * request is booked to whoever made it. DynamoDB requests are asked for
 * `ReturnConsumedCapacity: INDEXES` on the way through: the write and read units booked
 * are DynamoDB Local's own figures, table and each index apart. A refused conditional
 * write reports no capacity there; AWS bills it by item size, booked here as one unit.
 * A read that found nothing is booked at DynamoDB's minimum (0.5, or 1 when consistent).
 */
export interface RequestMeterOptions {
  /** Upstream base URL per service name used in the endpoint path. */
  readonly upstreams: Readonly<Record<string, string>>;
  readonly ledger: UsageLedger;
}

const DYNAMODB_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
/** SQS bills each 64 KB chunk of a request's payload as one request. */
const SQS_CHUNK_BYTES = 64 * 1024;
const MAX_PROXIED_BYTES = 64 * 1024 * 1024;

/** The API operation a request calls, from its target header or its REST shape. */
export const operationOf = (service: string, method: string, url: URL, target?: string): string => {
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  const segments = url.pathname.split('/').filter(Boolean);
  if (service === 's3') {
    const hasKey = segments.length > 1;
    if (method === 'PUT')
      return !hasKey ? 'CreateBucket' : url.searchParams.has('partNumber') ? 'UploadPart' : 'PutObject';
    if (method === 'GET') return hasKey ? 'GetObject' : 'ListObjectsV2';
    if (method === 'HEAD') return hasKey ? 'HeadObject' : 'HeadBucket';
    if (method === 'DELETE') return hasKey ? 'DeleteObject' : 'DeleteBucket';
    if (method === 'POST') return url.searchParams.has('delete') ? 'DeleteObjects' : 'PostObject';
  }
  if (service === 'sesv2' && url.pathname.endsWith('/outbound-emails')) return 'SendEmail';
  if (service === 'lambda' && url.pathname.includes('/event-source-mappings')) {
    return method === 'PUT' ? 'UpdateEventSourceMapping' : 'GetEventSourceMapping';
  }
  if (service === 'execute-api' && url.pathname.includes('/@connections/')) {
    return method === 'POST'
      ? 'PostToConnection'
      : method === 'DELETE'
        ? 'DeleteConnection'
        : 'GetConnection';
  }
  return `${method} ${segments[0] ?? '/'}`;
};

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
  readonly Table?: { readonly CapacityUnits?: number };
  readonly GlobalSecondaryIndexes?: Record<string, { readonly CapacityUnits?: number }>;
  readonly LocalSecondaryIndexes?: Record<string, { readonly CapacityUnits?: number }>;
}

/** Units by table and index, summed over the response's ConsumedCapacity entries. */
export const unitsOf = (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) => {
  const by: Record<string, number> = {};
  let total = 0;
  for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    total += entry.CapacityUnits ?? 0;
    if (entry.Table?.CapacityUnits) by.table = (by.table ?? 0) + entry.Table.CapacityUnits;
    for (const [name, index] of Object.entries({
      ...entry.GlobalSecondaryIndexes,
      ...entry.LocalSecondaryIndexes,
    })) {
      by[name] = (by[name] ?? 0) + (index.CapacityUnits ?? 0);
    }
  }
  return { total, by };
};

const forward = (
  upstream: URL,
  request: IncomingMessage,
  path: string,
  body: Buffer,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
  new Promise((resolve, reject) => {
    const headers = { ...request.headers, host: upstream.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });

export interface RequestMeter {
  readonly server: Server;
  /** The endpoint a caller uses for a service, e.g. `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpointFor(caller: string, service: string): string;
}

export const startRequestMeter = async (options: RequestMeterOptions, port = 0): Promise<RequestMeter> => {
  const upstreams = new Map(Object.entries(options.upstreams).map(([name, base]) => [name, new URL(base)]));
  const server = createServer(async (request, response) => {
    const url = new URL(`http://local${request.url?.startsWith('/') ? request.url : '/'}`);
    const [, marker, caller, service] = url.pathname.split('/');
    const upstream = service ? upstreams.get(service) : undefined;
    if (marker !== 'm' || !caller || !service || !upstream) {
      response.writeHead(404, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ message: `No metered endpoint at ${url.pathname}` }));
    }
    const rest = url.pathname.slice(`/m/${caller}/${service}`.length) || '/';
    const forwardedUrl = new URL(`${rest}${url.search}`, 'http://local');
    try {
      let body = await readBody(request, MAX_PROXIED_BYTES);
      const target = request.headers['x-amz-target'];
      const operation = operationOf(
        service,
        request.method ?? 'GET',
        forwardedUrl,
        typeof target === 'string' ? target : undefined,
      );
      const isDynamoDb = service === 'dynamodb';
      const tracksCapacity = isDynamoDb && (DYNAMODB_WRITES.has(operation) || DYNAMODB_READS.has(operation));
      let consistentRead = false;
      if (tracksCapacity) {
        const input = JSON.parse(body.toString('utf8'));
        consistentRead = input.ConsistentRead === true;
        input.ReturnConsumedCapacity = 'INDEXES';
        body = Buffer.from(JSON.stringify(input));
      }
      const answer = await forward(upstream, request, `${rest}${url.search}`, body);
      const failed = answer.status >= 400;
      const amounts: Parameters<UsageLedger['add']>[3] = {
        requests: 1,
        bytes: body.length,
        errors: failed ? 1 : 0,
      };
      if (service === 'sqs') amounts.billedUnits = Math.max(1, Math.ceil(body.length / SQS_CHUNK_BYTES));
      if (tracksCapacity && !answer.headers['content-encoding']) {
        const consumed = failed ? undefined : JSON.parse(answer.body.toString('utf8')).ConsumedCapacity;
        const { total, by } =
          failed && DYNAMODB_WRITES.has(operation) ? { total: 1, by: { table: 1 } } : unitsOf(consumed);
        if (DYNAMODB_WRITES.has(operation)) {
          amounts.writeUnits = total;
          amounts.writeUnitsBy = by;
        } else {
          // DynamoDB Local reports nothing for a read that found nothing; DynamoDB bills
          // the minimum, half a unit (a whole one when strongly consistent).
          amounts.readUnits = total > 0 || failed ? total : consistentRead ? 1 : 0.5;
        }
      }
      options.ledger.add(caller, service, operation, amounts);
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      headers['content-length'] = String(answer.body.length);
      response.writeHead(answer.status, headers);
      response.end(answer.body);
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ message: `Meter could not reach ${service}: ${(error as Error).message}` }),
      );
    }
  });
  await listen(server, port, 'request meter');
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    endpointFor: (caller, service) => `http://127.0.0.1:${bound}/m/${encodeURIComponent(caller)}/${service}`,
  };
};
