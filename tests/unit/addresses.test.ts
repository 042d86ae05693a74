import { describe, expect, it } from 'vitest';
import { ipv6Bytes, isPrivateAddress } from '../../lib/net/addresses';
import { productionDestinationProblem } from '../../lib/notify/webhook-endpoints';

describe('isPrivateAddress with IPv6 transition ranges', () => {
  it.each([
    ['IPv4-mapped, dotted', '::ffff:10.0.0.1'],
    ['IPv4-mapped, hex (as URLs write it)', '::ffff:7f00:1'],
    ['IPv4-mapped metadata address', '[::ffff:a9fe:a9fe]'],
    ['IPv4-compatible loopback', '::127.0.0.1'],
    ['IPv4-compatible public (deprecated range, refused whole)', '::8.8.8.8'],
    ['NAT64 well-known prefix to a private IPv4', '64:ff9b::192.168.1.1'],
    ['NAT64 well-known prefix to loopback, hex', '64:ff9b::7f00:1'],
    ['NAT64 local-use prefix', '64:ff9b:1::808:808'],
    ['6to4 embedding a private IPv4', '2002:c0a8:0101::1'],
    ['6to4 embedding loopback', '2002:7f00:1::'],
    ['Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['unique local', 'fd12:3456:789a::1'],
    ['link-local with a zone id', 'fe80::1%eth0'],
    ['old site-local', 'fec0::1'],
    ['multicast', 'ff02::1'],
    ['documentation', '2001:db8::1'],
    ['unspecified', '::'],
    ['loopback', '::1'],
    ['discard-only', '100::1'],
  ])('refuses %s (%s)', (_label, address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ['IPv4-mapped public', '::ffff:8.8.8.8'],
    ['NAT64 well-known prefix to a public IPv4', '64:ff9b::8.8.8.8'],
    ['6to4 embedding a public IPv4', '2002:0808:0808::1'],
    ['global unicast', '2606:4700:4700::1111'],
    ['global unicast, compressed in the middle', '2a00:1450:4001:82b::200e'],
  ])('accepts %s (%s)', (_label, address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('refuses the documentation and 6to4-relay IPv4 ranges', () => {
    for (const address of ['192.0.2.10', '198.51.100.7', '203.0.113.1', '192.88.99.1']) expect(isPrivateAddress(address), address).toBe(true);
  });

  it('decodes every spelling of an IPv6 address to the same bytes', () => {
    const expected = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1];
    expect([...ipv6Bytes('::ffff:127.0.0.1')]).toEqual(expected);
    expect([...ipv6Bytes('::ffff:7f00:1')]).toEqual(expected);
    expect([...ipv6Bytes('0:0:0:0:0:ffff:7f00:0001')]).toEqual(expected);
    expect([...ipv6Bytes('2001:db8::')]).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)]);
  });

  it('refuses webhook URLs whose host is an IPv6 literal carrying a private IPv4 address', () => {
    for (const url of ['https://[::ffff:127.0.0.1]/hook', 'https://[64:ff9b::a9fe:a9fe]/latest', 'https://[2002:a00:1::1]/x', 'https://[2001::1]/x']) {
      expect(productionDestinationProblem(url), url).toMatch(/loopback or private/);
    }
    expect(productionDestinationProblem('https://[2606:4700:4700::1111]/hook')).toBeNull();
  });
});
