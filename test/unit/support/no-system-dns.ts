import dns from 'node:dns';
import { isIP } from 'node:net';

/**
 * Makes Node's own name lookup (`dns.lookup`, which `net.connect` and `server.listen` call)
 * fail for names, so a connection that escaped a pinned lookup is seen by the test and
 * never asks a real DNS server. IP literals pass through (they need no network).
 * `dns` is the real module object (a default import), the one Node's internals use.
 */
export const refuseSystemDns = (): jest.SpyInstance => {
  const original = dns.lookup;
  return jest.spyOn(dns, 'lookup').mockImplementation(((hostname: string, ...rest: unknown[]) => {
    if (isIP(hostname) !== 0) return (original as (...args: unknown[]) => void)(hostname, ...rest);
    const callback = rest.at(-1) as (error: Error) => void;
    callback(Object.assign(new Error(`a system lookup of ${hostname} was made`), { code: 'ENOTFOUND' }));
  }) as never);
};
