import { lookup } from 'node:dns/promises';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { JobFailure } from './job-failure';
import {
  checkWebhookUrl,
  classifyAddress,
  connectHost,
  isReachable,
  type WebhookAddressPolicy,
} from './webhook-address';

/** Every address a host name resolves to (as `dns.lookup` with `all: true` answers). */
export type ResolveHost = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export const resolveWithSystemDns: ResolveHost = (hostname) =>
  lookup(hostname, { all: true, verbatim: true });

/** Not retried: the same URL would be refused on every attempt. */
const refused = (reason: string) =>
  new JobFailure('WEBHOOK_ADDRESS_REFUSED', `The webhook URL ${reason}.`, { retryable: false });

export interface DeliveryTarget {
  /** The normalized URL (what is signed and requested). */
  readonly url: URL;
  /** The checked IP address the connection goes to. */
  readonly address: string;
}

/**
 * Where a delivery to `rawUrl` may connect: the URL is checked again (a job queued before a
 * rule existed is still refused), then its host is resolved once and every address it
 * resolves to must be reachable under `policy`; the connection then goes to the address
 * checked here, never to a second resolution (DNS rebinding). A refusal is a
 * non-retryable `WEBHOOK_ADDRESS_REFUSED`; a failed lookup is a retryable `WEBHOOK_UNREACHABLE`.
 */
export const resolveDeliveryTarget = async (
  rawUrl: string,
  policy: WebhookAddressPolicy,
  resolveHost: ResolveHost = resolveWithSystemDns,
): Promise<DeliveryTarget> => {
  const checked = checkWebhookUrl(rawUrl, policy);
  if (!checked.ok) throw refused(checked.reason);
  const host = connectHost(checked.url);
  if (isIP(host) !== 0) return { url: checked.url, address: host };

  let addresses: readonly { address: string }[];
  try {
    addresses = await resolveHost(host);
  } catch (error) {
    throw new JobFailure(
      'WEBHOOK_UNREACHABLE',
      `The webhook host ${host} could not be resolved: ${(error as NodeJS.ErrnoException).code ?? 'lookup failed'}`,
      { retryable: true, cause: error },
    );
  }
  if (addresses.length === 0)
    throw new JobFailure('WEBHOOK_UNREACHABLE', `The webhook host ${host} has no address`, {
      retryable: true,
    });
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    // The address itself is not echoed: the job's owner learns the class, not the network.
    if (!isReachable(kind, policy))
      throw refused(`must reach a public address: ${host} resolves to a ${kind} address`);
  }
  return { url: checked.url, address: (addresses[0] as { address: string }).address };
};

export interface WebhookRequest {
  readonly target: DeliveryTarget;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string;
  readonly signal: AbortSignal;
}

/**
 * POSTs `body` to the target's checked address, with the URL's host in `Host` and as the
 * TLS server name (so certificates are verified against the name, not the address).
 * Redirects are not followed. Resolves with the response status; the response body is
 * not read.
 */
export const postWebhook = ({ target, headers, body, signal }: WebhookRequest): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const { url, address } = target;
    const host = connectHost(url);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      {
        method: 'POST',
        // An IP literal: Node connects to it without any lookup of its own.
        host: address,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, host: url.host, 'content-length': Buffer.byteLength(body) },
        ...(isIP(host) === 0 ? { servername: host } : {}),
        // A fresh connection per delivery: a pooled one could have been opened for another check.
        agent: false,
        signal,
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(body);
  });
