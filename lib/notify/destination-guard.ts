import { lookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Webhook URLs are chosen by customers, so in production a delivery must never reach this
 * deployment's own network: loopback, private, link-local (cloud metadata) and similar
 * ranges are refused, after DNS resolution too (a name that resolves, or re-resolves, to
 * such an address is refused at connect time).
 */

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '');
  const family = isIP(plain);
  if (family === 4) return blocked.check(plain, 'ipv4');
  if (family === 6) {
    // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address it carries.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain)?.[1];
    return mapped ? blocked.check(mapped, 'ipv4') : blocked.check(plain, 'ipv6');
  }
  return false;
}

export class PrivateDestinationError extends Error {
  constructor(host: string) {
    super(`refused: ${host} is, or resolves to, a private or loopback address`);
    this.name = 'PrivateDestinationError';
  }
}

function guardedLookup(
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    if (addresses.length === 0 || addresses.some((entry) => isPrivateAddress(entry.address))) {
      return callback(new PrivateDestinationError(hostname), []);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/** The fetch webhook deliveries use: in production, public destinations only. */
export function createWebhookFetch(options: { allowPrivate: boolean }): typeof fetch {
  if (options.allowPrivate) return globalThis.fetch;
  const dispatcher = new Agent({ connect: { lookup: guardedLookup as never } });
  const guarded = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    // An address literal is connected to without a lookup: check it here.
    if (isPrivateAddress(url.hostname)) throw new TypeError('fetch failed', { cause: new PrivateDestinationError(url.hostname) });
    return (await undiciFetch(url, { ...(init as object), dispatcher })) as unknown as Response;
  };
  return guarded as typeof fetch;
}
