/** IPv4 helpers for the cross-checks. Inputs are already validated as IPv4 / CIDR by zod. */

function toInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** The address part of `10.0.0.101/24`. */
export function addressOf(cidr: string): string {
  return cidr.split("/")[0]!;
}

/** True when `ip` lies in the subnet of `cidr` (`10.0.0.1` in `10.0.0.101/24`). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [addr, bits] = cidr.split("/");
  const prefix = Number(bits);
  if (prefix === 0) return true;
  const size = 2 ** (32 - prefix);
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(addr!) / size);
}
