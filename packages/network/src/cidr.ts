// @gumstack/network (packages/network/README.md), shared by the program and the policy pack.
// Small, pure IPv4 and IPv6 CIDR helpers used by the config schema and the network-policy code.

/** A parsed IPv4 CIDR: the network address as an unsigned 32-bit number and the prefix length. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; returns undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const m = IPV4_CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (addr % size !== 0) return undefined;
  return { base: addr, prefix };
}

/** Parses a dotted IPv4 address into an unsigned 32-bit number; undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
  return parseCidr(`${text}/32`)?.base;
}

export function cidrSize(c: Ipv4Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Ipv4Cidr, addr: number): boolean {
  return addr >= c.base && addr < c.base + cidrSize(c);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

// IPv6 (RFC 4291 section 2.2 text forms: "::" compression and an embedded dotted IPv4 tail).
// Addresses are unsigned 128-bit bigints; zone ids ("%eth0") are rejected.

/** A parsed IPv6 CIDR: the network address as an unsigned 128-bit bigint and the prefix length. */
export interface Ipv6Cidr {
  readonly base: bigint;
  readonly prefix: number;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses an IPv6 address literal ("fe80::1", "::ffff:10.0.0.1"); undefined when malformed. */
export function parseIpv6(text: string): bigint | undefined {
  let s = text;
  if (s.includes(".")) {
    // Dotted IPv4 tail: rewrite it as the two 16-bit groups it stands for.
    const cut = s.lastIndexOf(":");
    const v4 = parseIpv4(s.slice(cut + 1));
    if (cut < 0 || v4 === undefined) return undefined;
    s = `${s.slice(0, cut + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const split = (h: string | undefined) => (h ? h.split(":") : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  // "::" stands for at least one zero group; without it there must be exactly eight groups.
  const missing = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (halves.length === 2 ? missing < 1 : head.length !== 8) return undefined;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!groups.every((g) => HEX_GROUP.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Parses "addr/n" for IPv6; like parseCidr, undefined when malformed or when host bits are set. */
export function parseIpv6Cidr(text: string): Ipv6Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const addr = m ? parseIpv6(m[1]!) : undefined;
  const prefix = Number(m?.[2]);
  if (addr === undefined || prefix > 128) return undefined;
  if (addr & ipv6HostMask(prefix)) return undefined;
  return { base: addr, prefix };
}

/** The host-bit mask of a /prefix IPv6 network (all ones below the prefix). */
export function ipv6HostMask(prefix: number): bigint {
  return (1n << BigInt(128 - prefix)) - 1n;
}

export function ipv6CidrContains(c: Ipv6Cidr, addr: bigint): boolean {
  return (addr & ~ipv6HostMask(c.prefix)) === c.base;
}
