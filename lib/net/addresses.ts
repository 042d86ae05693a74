import { BlockList, isIP } from 'node:net';

/**
 * Which addresses are not the public internet: loopback, private, link-local (cloud
 * metadata), reserved and documentation ranges. An IPv6 address that carries an IPv4 one
 * (mapped, NAT64, 6to4) is judged by the IPv4 address it carries, because that is where a
 * connection to it ends up; transition ranges that hide an address we cannot judge
 * (IPv4-compatible, Teredo, local-use NAT64) are refused whole.
 */

const blockedV4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(network, prefix, 'ipv4');
}

/** IPv6 ranges refused whole, as [first bytes of the prefix, prefix length in bits]. */
const BLOCKED_V6: readonly (readonly [readonly number[], number])[] = [
  // ::/96: the unspecified address, loopback and the deprecated IPv4-compatible form.
  [[], 96],
  // 64:ff9b:1::/48: local-use NAT64 (RFC 8215), meant for a site's own translators.
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48],
  // 100::/64: discard-only.
  [[0x01, 0x00], 64],
  // 2001::/23: IETF protocol assignments, among them Teredo (2001::/32), which hides the
  // client's IPv4 address, benchmarking and ORCHID.
  [[0x20, 0x01, 0x00], 23],
  // 2001:db8::/32 and 3fff::/20: documentation.
  [[0x20, 0x01, 0x0d, 0xb8], 32],
  [[0x3f, 0xff], 20],
  // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 old site-local, ff00::/8 multicast.
  [[0xfc], 7],
  [[0xfe, 0x80], 10],
  [[0xfe, 0xc0], 10],
  [[0xff], 8],
];

/** IPv6 ranges that carry an IPv4 address: [prefix bytes, prefix bits, offset of the IPv4 bytes]. */
const EMBEDDING_V6: readonly (readonly [readonly number[], number, number])[] = [
  // ::ffff:0:0/96, IPv4-mapped.
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, 12],
  // 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052).
  [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96, 12],
  // 2002::/16, 6to4: the IPv4 address follows the prefix.
  [[0x20, 0x02], 16, 2],
];

function inPrefix(bytes: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if ((bytes[bit / 8]! & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 16 bytes of a valid IPv6 address (isIP already said it is one); a zone id is dropped. */
export function ipv6Bytes(address: string): Uint8Array {
  let text = address.replace(/%.*$/, '');
  const bytes = new Uint8Array(16);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = groups(head);
  const back = groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function isPrivateIpv6(bytes: Uint8Array): boolean {
  for (const [prefix, bits, offset] of EMBEDDING_V6) {
    if (inPrefix(bytes, prefix, bits)) return blockedV4.check([...bytes.subarray(offset, offset + 4)].join('.'), 'ipv4');
  }
  return BLOCKED_V6.some(([prefix, bits]) => inPrefix(bytes, prefix, bits));
}

/** Whether an address literal (IPv4, IPv6, or IPv6 in URL brackets) is not the public internet. */
export function isPrivateAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '');
  const family = isIP(plain);
  if (family === 4) return blockedV4.check(plain, 'ipv4');
  if (family === 6) return isPrivateIpv6(ipv6Bytes(plain));
  return false;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether a URL's hostname is this machine: `localhost` or a loopback address. */
export function isLoopbackHost(hostname: string): boolean {
  const plain = hostname.replace(/^\[|\]$/g, '');
  if (plain === 'localhost') return true;
  const family = isIP(plain);
  return (family === 4 && loopback.check(plain, 'ipv4')) || (family === 6 && loopback.check(plain, 'ipv6'));
}
