import { BlockList, isIP } from 'node:net';
import * as z from 'zod';
import { readConfig } from '../core/config';

/** Which addresses a webhook may reach besides public ones. */
export interface WebhookAddressPolicy {
  /**
   * Loopback (127/8, ::1, `localhost`) is allowed: the local cloud's receivers listen on
   * 127.0.0.1. Never link-local or any other non-public range. @default false
   */
  readonly allowLoopback: boolean;
}

/** What kind of address an IP is; only `public` (and `loopback` when allowed) may be reached. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'shared (CGNAT)'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'IPv4-mapped'
  | 'IPv4-compatible'
  | 'IPv4-translated (NAT64)'
  | 'IPv4 tunnel (6to4/Teredo)';

type Rule = readonly [AddressClass, readonly (readonly [string, number])[]];

// First match wins, so the more specific ranges come first.
const IPV4_RULES: readonly Rule[] = [
  ['unspecified', [['0.0.0.0', 8]]],
  ['loopback', [['127.0.0.0', 8]]],
  ['link-local', [['169.254.0.0', 16]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
  ],
  ['shared (CGNAT)', [['100.64.0.0', 10]]],
  ['multicast', [['224.0.0.0', 4]]],
  ['broadcast', [['255.255.255.255', 32]]],
  [
    'documentation',
    [
      ['192.0.2.0', 24],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
    ],
  ],
  [
    'reserved',
    [
      ['240.0.0.0', 4],
      ['192.0.0.0', 24], // IETF protocol assignments
      ['192.88.99.0', 24], // 6to4 relay anycast
      ['198.18.0.0', 15], // benchmarking
    ],
  ],
];

const IPV6_RULES: readonly Rule[] = [
  ['unspecified', [['::', 128]]],
  ['loopback', [['::1', 128]]],
  ['IPv4-mapped', [['::ffff:0:0', 96]]],
  [
    'IPv4-translated (NAT64)',
    [
      ['::ffff:0:0:0', 96],
      ['64:ff9b::', 96],
      ['64:ff9b:1::', 48],
    ],
  ],
  ['IPv4-compatible', [['::', 96]]],
  ['link-local', [['fe80::', 10]]],
  [
    'private',
    [
      ['fc00::', 7], // unique local
      ['fec0::', 10], // site-local (deprecated, still routed inside some networks)
    ],
  ],
  ['multicast', [['ff00::', 8]]],
  [
    'IPv4 tunnel (6to4/Teredo)',
    [
      ['2002::', 16],
      ['2001::', 32],
    ],
  ],
  [
    'documentation',
    [
      ['2001:db8::', 32],
      ['3fff::', 20],
    ],
  ],
  ['reserved', [['2001::', 23]]],
];

const compile = (rules: readonly Rule[], family: 'ipv4' | 'ipv6') =>
  rules.map(([name, subnets]) => {
    const list = new BlockList();
    for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
    return [name, list] as const;
  });

const IPV4 = compile(IPV4_RULES, 'ipv4');
const IPV6 = compile(IPV6_RULES, 'ipv6');
// Only global unicast (2000::/3) is public in IPv6; everything outside it is not.
const GLOBAL_UNICAST = compile([['public', [['2000::', 3]]]], 'ipv6')[0]?.[1] as BlockList;

/** `[::1]` → `::1`, `fe80::1%eth0` → `fe80::1`: the bare address. */
const bareAddress = (address: string) => address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');

/**
 * Classifies an IP address (v4 or v6, brackets and zone allowed). Throws a TypeError for
 * anything that is not an IP address: names must be resolved first.
 */
export const classifyAddress = (address: string): AddressClass => {
  const bare = bareAddress(address);
  const version = isIP(bare);
  if (version === 4) return IPV4.find(([, list]) => list.check(bare, 'ipv4'))?.[0] ?? 'public';
  if (version === 6) {
    const special = IPV6.find(([, list]) => list.check(bare, 'ipv6'))?.[0];
    if (special) return special;
    return GLOBAL_UNICAST.check(bare, 'ipv6') ? 'public' : 'reserved';
  }
  throw new TypeError(`${JSON.stringify(address)} is not an IP address`);
};

/** Whether a webhook may connect to an address of this class. */
export const isReachable = (kind: AddressClass, policy: WebhookAddressPolicy): boolean =>
  kind === 'public' || (kind === 'loopback' && policy.allowLoopback);

/** `localhost` and `*.localhost` always mean loopback (RFC 6761), whatever DNS says. */
const isLoopbackName = (hostname: string) => /(^|\.)localhost$/.test(hostname);

/** The host of a URL as a connection needs it: no brackets, no trailing dots. */
export const connectHost = (url: URL): string => bareAddress(url.hostname).replace(/\.+$/, '');

export type CheckedWebhookUrl =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks what can be checked of a webhook URL without DNS: http(s) only, no credentials,
 * and an IP-literal host (in any spelling: WHATWG parsing turns `0xa9fea9fe`, `2852039166`
 * and `0251.0376.0251.0376` into 169.254.169.254) must be reachable under `policy`.
 * Names are checked again after resolution, at delivery. The URL comes back normalized,
 * without its fragment (which never reaches the receiver, so it cannot be signed).
 */
export const checkWebhookUrl = (value: string, policy: WebhookAddressPolicy): CheckedWebhookUrl => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: 'must use http or https' };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'must not contain credentials (user:password@)' };
  const host = connectHost(url);
  if (host === '') return { ok: false, reason: 'must name a host' };
  if (isIP(host) !== 0) {
    const kind = classifyAddress(host);
    if (!isReachable(kind, policy)) return { ok: false, reason: refusal(host, kind) };
  } else if (isLoopbackName(host) && !policy.allowLoopback) {
    return { ok: false, reason: refusal(host, 'loopback') };
  }
  url.hash = '';
  return { ok: true, url };
};

export const refusal = (address: string, kind: AddressClass) =>
  `must reach a public address: ${address} is ${kind}`;

/** The policy this function runs with (`WEBHOOK_ALLOW_LOOPBACK`, set from the stack's context). */
export const webhookAddressPolicy = (env: NodeJS.ProcessEnv = process.env): WebhookAddressPolicy => ({
  allowLoopback: readConfig(['webhookAllowLoopback'], env).webhookAllowLoopback,
});

/** A data.sync `url`: checked as above under this function's policy, stored normalized. */
export const webhookUrlSchema = z
  .string()
  .max(2048)
  .transform((value, context) => {
    const checked = checkWebhookUrl(value, webhookAddressPolicy());
    if (checked.ok) return checked.url.href;
    context.addIssue({ code: 'custom', message: checked.reason });
    return z.NEVER;
  });
