import { describe, expect, it } from 'vitest';
import { embeddedIPv4, isAllowedAddress } from '../../lib/pipeline/address-policy';

const strict = { allowPrivate: false };
const local = { allowPrivate: true };

describe('isAllowedAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback range'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.64.0.1', 'CGNAT'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::', 'IPv6 unspecified'],
    ['::1', 'IPv6 loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['2002:7f00:1::1', '6to4 of loopback'],
    ['fc00::1', 'ULA'],
    ['fd12:3456::1', 'ULA'],
    ['fd00:ec2::254', 'EC2 IPv6 metadata'],
    ['fe80::1', 'IPv6 link-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['not-an-ip', 'a name'],
  ])('refuses %s (%s)', (address) => {
    expect(isAllowedAddress(address, strict)).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows public %s',
    (address) => {
      expect(isAllowedAddress(address, strict)).toBe(true);
    },
  );

  it('in local mode allows private and loopback, never the metadata services', () => {
    expect(isAllowedAddress('127.0.0.1', local)).toBe(true);
    expect(isAllowedAddress('192.168.1.1', local)).toBe(true);
    expect(isAllowedAddress('169.254.169.254', local)).toBe(false);
    expect(isAllowedAddress('::ffff:169.254.169.254', local)).toBe(false);
    expect(isAllowedAddress('fd00:ec2::254', local)).toBe(false);
  });

  it('reads IPv4 carried in IPv6', () => {
    expect(embeddedIPv4('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(embeddedIPv4('64:ff9b::102:304')).toBe('1.2.3.4');
    expect(embeddedIPv4('2002:102:304::')).toBe('1.2.3.4');
    expect(embeddedIPv4('2606:4700::1')).toBeNull();
  });
});
