// Proves: the IPv4 subnet check used by the gateway cross-check, at prefix boundaries.
import { addressOf, inSubnet } from "../../config/net";

describe("inSubnet", () => {
  it.each([
    ["10.0.0.1", "10.0.0.101/24", true],
    ["10.0.1.1", "10.0.0.101/24", false],
    ["10.0.0.129", "10.0.0.101/25", false],
    ["10.0.0.127", "10.0.0.101/25", true],
    ["192.168.7.1", "192.168.4.20/22", true],
    ["192.168.8.1", "192.168.4.20/22", false],
    ["8.8.8.8", "10.0.0.1/0", true],
    ["10.0.0.5", "10.0.0.5/32", true],
    ["10.0.0.6", "10.0.0.5/32", false],
  ])("%s in %s is %s", (ip, cidr, expected) => {
    expect(inSubnet(ip, cidr)).toBe(expected);
  });

  it("takes the address part of a CIDR", () => {
    expect(addressOf("10.0.0.101/24")).toBe("10.0.0.101");
  });
});
