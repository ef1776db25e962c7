import { lookup } from 'node:dns/promises';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { JobFailure } from './job-failure';
import {
  checkWebhookUrl,
  classifyAddress,
  connectHost,
  isReachable,
  type WebhookAddressPolicy,
} from './webhook-address';

export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Every address a host name resolves to (as `dns.lookup` with `all: true` answers). */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const resolveWithSystemDns: ResolveHost = (hostname) =>
  lookup(hostname, { all: true, verbatim: true });

/** Not retried: the same URL would be refused on every attempt. */
const refused = (reason: string) =>
  new JobFailure('WEBHOOK_ADDRESS_REFUSED', `The webhook URL ${reason}.`, { retryable: false });

export interface DeliveryTarget {
  /** The normalized URL (what is signed and requested). */
  readonly url: URL;
  /** The checked addresses the connection may go to, in the resolver's order. */
  readonly addresses: readonly ResolvedAddress[];
}

/**
 * Where a delivery to `rawUrl` may connect: the URL is checked again (a job queued before a
 * rule existed is still refused), then its host is resolved once and every address it
 * resolves to must be reachable under `policy`; the connection then goes only to the
 * addresses checked here, never to a second resolution (DNS rebinding). A refusal is a
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
  const literal = isIP(host);
  if (literal !== 0) return { url: checked.url, addresses: [{ address: host, family: literal }] };

  let addresses: readonly ResolvedAddress[];
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
    if (isIP(address) === 0)
      throw new JobFailure('WEBHOOK_UNREACHABLE', `The webhook host ${host} has no usable address`, {
        retryable: true,
      });
    const kind = classifyAddress(address);
    // The address itself is not echoed: the job's owner learns the class, not the network.
    if (!isReachable(kind, policy))
      throw refused(`must reach a public address: ${host} resolves to a ${kind} address`);
  }
  return {
    url: checked.url,
    addresses: addresses.map(({ address }) => ({ address, family: isIP(address) })),
  };
};

/**
 * A `lookup` that answers only the checked addresses: the socket connects to what was
 * checked, and Node's Happy Eyeballs (`autoSelectFamily`) can still fall back from one
 * checked address to the next (e.g. IPv6 first where only IPv4 routes, as in Lambda).
 */
const pinnedLookup =
  (addresses: readonly ResolvedAddress[]): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) {
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
      return;
    }
    const [first] = addresses;
    if (!first) callback(Object.assign(new Error('no checked address'), { code: 'ENOTFOUND' }), '', 0);
    else callback(null, first.address, first.family);
  };

export interface WebhookRequest {
  readonly target: DeliveryTarget;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string;
  readonly signal: AbortSignal;
}

/**
 * POSTs `body` to the URL, connecting only to the target's checked addresses; `Host` and
 * the TLS server name stay the URL's host, so certificates are verified against the name.
 * Redirects are not followed. Resolves with the response status; the response body is
 * not read.
 */
export const postWebhook = ({ target, headers, body, signal }: WebhookRequest): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const { url, addresses } = target;
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      {
        method: 'POST',
        host: connectHost(url),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        // `Host` is the URL's host exactly as signed, so the receiver rebuilds the signed URL.
        headers: { ...headers, host: url.host, 'content-length': Buffer.byteLength(body) },
        // With Node's default autoSelectFamily (Node ≥ 20), all checked addresses are tried in turn.
        lookup: pinnedLookup(addresses),
        // A fresh connection per delivery: a pooled one was opened for another check.
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
