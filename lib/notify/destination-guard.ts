import { lookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { Agent, fetch as undiciFetch } from 'undici';
import { isPrivateAddress } from '../net/addresses';

/**
 * Webhook URLs are chosen by customers, so a delivery must never reach this
 * deployment's own network: loopback, private, link-local (cloud metadata) and similar
 * ranges are refused, after DNS resolution too (a name that resolves, or re-resolves, to
 * such an address is refused at connect time).
 */

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

/** The fetch webhook deliveries use: public destinations only, unless a test allows private ones. */
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
