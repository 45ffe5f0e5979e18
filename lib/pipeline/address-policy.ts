import { BlockList, isIP } from 'node:net';

/**
 * Which addresses the image fetcher may connect to. Everything that is not ordinary public unicast is
 * refused: loopback, private, link-local, CGNAT, multicast, unspecified, documentation and benchmark
 * ranges, IPv6 ULA and site-local, and the cloud metadata addresses. IPv6 forms that embed an IPv4
 * address (mapped, NAT64, 6to4) are judged by that IPv4 address.
 */
const NOT_PUBLIC_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 included
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, 169.254.169.254 metadata included
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast included
];

const NOT_PUBLIC_V6: ReadonlyArray<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, Teredo included
  ['2001:db8::', 32],
  ['fc00::', 7], // ULA, fd00:ec2::254 metadata included
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

/** Refused even where private addresses are allowed (local mode): the cloud metadata services. */
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254'];

function buildList(v4: ReadonlyArray<[string, number]>, v6: ReadonlyArray<[string, number]>): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

const notPublic = buildList(NOT_PUBLIC_V4, NOT_PUBLIC_V6);
const metadata = new BlockList();
metadata.addAddress(METADATA_ADDRESSES[0] ?? '', 'ipv4');
metadata.addAddress(METADATA_ADDRESSES[1] ?? '', 'ipv6');

function expandV6(address: string): number[] | null {
  const [head = '', tail] = address.toLowerCase().split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  let left = parse(head);
  let right = tail === undefined ? [] : parse(tail);
  const convertDotted = (groups: string[]) => {
    const last = groups.at(-1);
    if (!last?.includes('.')) return groups;
    const octets = last.split('.').map(Number);
    return [
      ...groups.slice(0, -1),
      ((octets[0]! << 8) | octets[1]!).toString(16),
      ((octets[2]! << 8) | octets[3]!).toString(16),
    ];
  };
  left = convertDotted(left);
  right = convertDotted(right);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...Array(missing).fill('0'), ...right].map((group) => Number.parseInt(group, 16));
  return groups.some(Number.isNaN) ? null : groups;
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
export function embeddedIPv4(address: string): string | null {
  const groups = expandV6(address);
  if (!groups) return null;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  const zeroUpTo = (n: number) => groups.slice(0, n).every((group) => group === 0);
  if (zeroUpTo(5) && g5 === 0xffff) return v4(g6, g7); // ::ffff:a.b.c.d, IPv4-mapped
  if (zeroUpTo(6) && (g6 !== 0 || g7 > 1)) return v4(g6, g7); // ::a.b.c.d, IPv4-compatible (deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4(g6, g7); // NAT64
  if (g0 === 0x2002) return v4(g1 ?? 0, g2 ?? 0); // 6to4
  return null;
}

export interface AddressPolicy {
  /** Local mode and tests: loopback and private addresses become reachable; metadata stays refused. */
  allowPrivate: boolean;
}

/** Whether the fetcher may connect to `address` (an IP literal; anything else is refused). */
export function isAllowedAddress(address: string, policy: AddressPolicy): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const carried = family === 6 ? embeddedIPv4(address) : null;
  if (metadata.check(address, type) || (carried !== null && metadata.check(carried, 'ipv4'))) return false;
  if (policy.allowPrivate) return true;
  if (carried !== null) return !notPublic.check(carried, 'ipv4');
  return !notPublic.check(address, type);
}
