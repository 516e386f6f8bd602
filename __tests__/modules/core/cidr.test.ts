import { contains, formatAddress, hostAddress, overlaps, parseCidr, type Cidr } from "../../../modules/core/cidr";

/**
 * IPv4 CIDR arithmetic. Addresses are written out by hand: a.b.c.d is
 * a * 2^24 + b * 2^16 + c * 2^8 + d, and a /n block holds 2^(32 - n) addresses.
 */

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw new Error(`${text} should parse: ${parsed}`);
  return parsed;
}

const MALFORMED = "expected an IPv4 CIDR block such as 10.20.0.0/16";
const OCTET_RANGE = "each of the four numbers must be between 0 and 255";
const PREFIX_RANGE = "the prefix length after '/' must be between 0 and 32";

describe("parsing a CIDR block", () => {
  test("gives the first and last address of the block and keeps the text", () => {
    // 10 * 2^24 + 20 * 2^16 = 169082880; a /16 holds 65536 addresses.
    expect(parseCidr("10.20.0.0/16")).toEqual({
      text: "10.20.0.0/16",
      start: 169082880,
      end: 169148415,
      prefixLength: 16,
    });
  });

  test("reads addresses at or above 128.0.0.0 as unsigned numbers", () => {
    // 192 * 2^24 + 168 * 2^16 + 1 * 2^8 = 3232235776; a /24 holds 256 addresses.
    expect(parseCidr("192.168.1.0/24")).toEqual({
      text: "192.168.1.0/24",
      start: 3232235776,
      end: 3232236031,
      prefixLength: 24,
    });
  });

  test("accepts the extremes: /0 is the whole space and /32 one address", () => {
    expect(parseCidr("0.0.0.0/0")).toEqual({ text: "0.0.0.0/0", start: 0, end: 4294967295, prefixLength: 0 });
    expect(parseCidr("255.255.255.255/32")).toEqual({
      text: "255.255.255.255/32",
      start: 4294967295,
      end: 4294967295,
      prefixLength: 32,
    });
    expect(parseCidr("10.0.0.1/32")).toEqual({
      text: "10.0.0.1/32",
      start: 167772161,
      end: 167772161,
      prefixLength: 32,
    });
  });

  test("accepts one- to three-digit numbers and one- or two-digit prefixes", () => {
    expect(parseCidr("1.2.3.4/32")).toMatchObject({ start: 16909060 });
    expect(parseCidr("100.64.0.0/10")).toMatchObject({ start: 1681915904, prefixLength: 10 });
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ start: 167772160, end: 184549375, prefixLength: 8 });
  });

  test("refuses text that is not four dot-separated numbers and a prefix length", () => {
    for (const text of [
      "",
      "10.0.0/16",
      "10.0.0.0",
      "10.0.0.0/",
      "10.0.0.0.0/16",
      "a.b.c.d/8",
      "1000.0.0.0/8",
      "10.0.0.0/123",
      "10.0.0.0/-1",
      " 10.0.0.0/16",
      "10.0.0.0/16 ",
      "x10.0.0.0/16",
      "10.0.0.0/16x",
      "10,0,0,0/16",
      "10.0.0.0\\16",
    ]) {
      expect([text, parseCidr(text)]).toEqual([text, MALFORMED]);
    }
  });

  test("refuses a number above 255 in any position, and accepts 255", () => {
    expect(parseCidr("256.0.0.0/8")).toBe(OCTET_RANGE);
    expect(parseCidr("10.256.0.0/16")).toBe(OCTET_RANGE);
    expect(parseCidr("10.0.256.0/24")).toBe(OCTET_RANGE);
    expect(parseCidr("10.0.0.256/32")).toBe(OCTET_RANGE);
    expect(parseCidr("999.0.0.0/8")).toBe(OCTET_RANGE);
    expect(parseCidr("255.255.255.0/24")).toMatchObject({ start: 4294967040, end: 4294967295 });
  });

  test("refuses a prefix length above 32", () => {
    expect(parseCidr("10.0.0.0/33")).toBe(PREFIX_RANGE);
    expect(parseCidr("10.0.0.0/99")).toBe(PREFIX_RANGE);
  });

  test("refuses host bits below the prefix and names the network address to use instead", () => {
    expect(parseCidr("10.0.0.1/16")).toBe("host bits are set: the network address for /16 is 10.0.0.0/16");
    // 31 = 0001 1111: a /12 keeps only the first four bits of the second number.
    expect(parseCidr("172.31.0.0/12")).toBe("host bits are set: the network address for /12 is 172.16.0.0/12");
    expect(parseCidr("10.0.0.129/25")).toBe("host bits are set: the network address for /25 is 10.0.0.128/25");
    expect(parseCidr("10.0.0.128/25")).toMatchObject({ start: 167772288, end: 167772415 });
  });
});

describe("formatting an address", () => {
  test("writes the four numbers most significant first", () => {
    expect(formatAddress(16909060)).toBe("1.2.3.4");
    expect(formatAddress(3232235777)).toBe("192.168.1.1");
  });

  test("writes the lowest and highest addresses", () => {
    expect(formatAddress(0)).toBe("0.0.0.0");
    expect(formatAddress(4294967295)).toBe("255.255.255.255");
  });
});

describe("containment", () => {
  // Parsed inside each test: a mutant is active only while a test runs.
  const vnet = () => cidr("10.0.0.0/24");

  test("a block contains itself and the blocks inside it", () => {
    expect(contains(vnet(), vnet())).toBe(true);
    expect(contains(vnet(), cidr("10.0.0.0/25"))).toBe(true);
    expect(contains(vnet(), cidr("10.0.0.128/25"))).toBe(true);
    expect(contains(vnet(), cidr("10.0.0.255/32"))).toBe(true);
  });

  test("a block does not contain one that starts before it, even when they end together", () => {
    expect(contains(cidr("10.0.1.0/24"), cidr("10.0.0.0/23"))).toBe(false);
    expect(contains(vnet(), cidr("9.255.255.255/32"))).toBe(false);
  });

  test("a block does not contain one that ends after it, even when they start together", () => {
    expect(contains(vnet(), cidr("10.0.0.0/23"))).toBe(false);
    expect(contains(vnet(), cidr("10.0.1.0/32"))).toBe(false);
  });

  test("a block does not contain a disjoint one", () => {
    expect(contains(vnet(), cidr("192.168.0.0/24"))).toBe(false);
  });
});

describe("overlap", () => {
  test("adjacent blocks do not overlap, in either order", () => {
    expect(overlaps(cidr("10.0.0.0/24"), cidr("10.0.1.0/24"))).toBe(false);
    expect(overlaps(cidr("10.0.1.0/24"), cidr("10.0.0.0/24"))).toBe(false);
  });

  test("blocks sharing only their last or first address overlap, in either order", () => {
    expect(overlaps(cidr("10.0.0.255/32"), cidr("10.0.0.0/24"))).toBe(true);
    expect(overlaps(cidr("10.0.0.0/24"), cidr("10.0.0.255/32"))).toBe(true);
    expect(overlaps(cidr("10.0.0.0/32"), cidr("10.0.0.0/24"))).toBe(true);
    expect(overlaps(cidr("10.0.0.0/24"), cidr("10.0.0.0/32"))).toBe(true);
  });

  test("a block overlaps itself, and one containing it", () => {
    expect(overlaps(cidr("10.0.0.0/24"), cidr("10.0.0.0/24"))).toBe(true);
    expect(overlaps(cidr("10.0.0.0/16"), cidr("10.0.5.0/24"))).toBe(true);
    expect(overlaps(cidr("10.0.5.0/24"), cidr("10.0.0.0/16"))).toBe(true);
  });

  test("far-apart blocks do not overlap, in either order", () => {
    expect(overlaps(cidr("10.0.0.0/16"), cidr("192.168.0.0/16"))).toBe(false);
    expect(overlaps(cidr("192.168.0.0/16"), cidr("10.0.0.0/16"))).toBe(false);
  });
});

describe("host addresses", () => {
  const subnet = () => cidr("10.0.1.0/24");

  test("the n-th address counts from the block's first address", () => {
    expect(hostAddress(subnet(), 0)).toBe("10.0.1.0");
    // Azure reserves .0 to .3: the first static address is offset 4.
    expect(hostAddress(subnet(), 4)).toBe("10.0.1.4");
    expect(hostAddress(cidr("192.168.8.0/22"), 260)).toBe("192.168.9.4");
  });

  test("the last address of the block is the last offset allowed", () => {
    expect(hostAddress(subnet(), 255)).toBe("10.0.1.255");
  });

  test("an offset past the block is refused, naming the offset and the block", () => {
    expect(() => hostAddress(subnet(), 256)).toThrow(new RangeError("offset 256 is outside 10.0.1.0/24"));
    expect(() => hostAddress(cidr("10.0.1.16/28"), 16)).toThrow(RangeError);
  });
});
