// Small, pure IPv4 CIDR helpers used by the config schema and the network-policy code.

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
