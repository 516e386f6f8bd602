/** IPv4 CIDR arithmetic for validation: parse, containment and overlap. */

export interface Cidr {
  readonly text: string;
  /** First address as an unsigned 32-bit integer. */
  readonly start: number;
  /** Last address as an unsigned 32-bit integer. */
  readonly end: number;
  readonly prefixLength: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns a reason string instead of a Cidr when the text is malformed,
 * including host bits set below the prefix (10.0.0.1/16), which Azure and AWS both reject.
 */
export function parseCidr(text: string): Cidr | string {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return "expected an IPv4 CIDR block such as 10.20.0.0/16";
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((o) => o > 255)) return "each of the four numbers must be between 0 and 255";
  if (prefixLength > 32) return "the prefix length after '/' must be between 0 and 32";
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - prefixLength);
  const start = address - (address % size);
  if (start !== address) {
    return `host bits are set: the network address for /${prefixLength} is ${formatAddress(start)}/${prefixLength}`;
  }
  return { text, start, end: start + size - 1, prefixLength };
}

export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The n-th host address of a block (Azure reserves .0-.3, so static IPs start at offset 4). */
export function hostAddress(block: Cidr, offset: number): string {
  const address = block.start + offset;
  if (address > block.end) throw new RangeError(`offset ${offset} is outside ${block.text}`);
  return formatAddress(address);
}
