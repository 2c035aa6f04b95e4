import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses a webhook may be sent to. Only global unicast passes, so an endpoint URL
 * cannot be used to reach the server's own network (SSRF); the operator's allowlist (for example
 * `127.0.0.0/8,::1/128` in development) exempts chosen ranges.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  address: Address;
  prefix: number;
  /** As written in the allowlist, for messages. */
  text: string;
}

/**
 * `rule` names the range that refused the address without the address itself ("loopback",
 * "private (IPv4-mapped)"): what a tenant may be told about a name that resolved there. `reason`
 * includes the address, for an address the tenant wrote themselves and for the server log.
 */
export type AddressCheck = { allowed: true } | { allowed: false; reason: string; rule: string };

type Range = [Address, number, string];

function ranges(list: [string, string][]): Range[] {
  return list.map(([cidr, label]) => {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    return [addr, bits, label];
  });
}

// Order matters: the first match names the reason, so narrow ranges come before the wide ones
// that contain them.
const V4_REFUSED = ranges([
  ['0.0.0.0/32', 'unspecified'],
  ['255.255.255.255/32', 'broadcast'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['169.254.0.0/16', 'link-local'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['224.0.0.0/4', 'multicast'],
  ['0.0.0.0/8', 'reserved'],
  ['240.0.0.0/4', 'reserved'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
]);

const V6_REFUSED = ranges([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'reserved'],
  ['100::/64', 'discard'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/32', 'Teredo'],
  ['2001::/23', 'reserved'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
]);

// Addresses that carry an IPv4 address in their last 32 bits and reach it when dialled.
const V6_EMBEDDING = ranges([
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['64:ff9b::/96', 'NAT64'],
]);

const [GLOBAL_UNICAST, GLOBAL_UNICAST_BITS] = ipaddr.parseCIDR('2000::/3');

/** Parses a comma-separated list of CIDRs (or single addresses); throws on an invalid entry. */
export function parseAllowList(s: string | undefined): Cidr[] {
  if (s === undefined) return [];
  const out: Cidr[] = [];
  for (const raw of s.split(',')) {
    const text = raw.trim();
    if (text === '') continue;
    out.push(parseCidr(text));
  }
  return out;
}

function parseCidr(text: string): Cidr {
  const [ip, bits, extra] = text.split('/');
  // IPv4 must be four decimal parts: "127.1/8" or "0x7f.0.0.1" in a security setting is a typo
  // waiting to happen, not a feature.
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(ip ?? '');
  const v6 = !v4 && (ip ?? '').includes(':') && !(ip ?? '').includes('%') && parseIp(ip ?? '') !== null;
  const max = v4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if ((!v4 && !v6) || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
    throw new Error(`invalid CIDR "${text}" in the target allowlist (expected e.g. 10.0.0.0/8 or fd00::/8)`);
  }
  return { address: parseIp(ip!)!, prefix, text };
}

/**
 * Parses an IP address. IPv6 goes through the WHATWG URL parser first because ipaddr.js reads
 * `::127.0.0.1` as IPv4-mapped `::ffff:127.0.0.1`, which is a different address.
 */
function parseIp(s: string): Address | null {
  try {
    if (s.includes(':')) {
      const host = new URL(`http://[${s}]/`).hostname;
      return ipaddr.IPv6.parse(host.slice(1, -1));
    }
    return ipaddr.IPv4.isValid(s) ? ipaddr.IPv4.parse(s) : null;
  } catch {
    return null;
  }
}

/**
 * Appended to a refusal seen at send time: the setting that allows a target, for a developer whose
 * endpoint runs on this machine or a private network ("it worked on my laptop").
 */
export const ALLOW_TARGETS_HINT = 'to allow it, list its network in SWITCHBOARD_ALLOW_TARGETS (serve --dev allows loopback addresses)';

/** Whether a resolved IP address may be dialled: global unicast or inside the allowlist. */
export function checkAddress(ip: string, allow: Cidr[]): AddressCheck {
  const bare = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip; // zone ids only appear on link-local
  const addr = parseIp(bare);
  if (addr === null) return { allowed: false, reason: `refused target ${ip} (not an IP address)`, rule: 'not an IP address' };
  if (isAllowed(addr, allow)) return { allowed: true };

  let label: string | null;
  let rule: string | null = null;
  if (addr.kind() === 'ipv4') {
    label = firstMatch(addr, V4_REFUSED);
  } else {
    const v6 = addr as ipaddr.IPv6;
    const embedding = firstMatch(v6, V6_EMBEDDING);
    if (embedding !== null) {
      const v4 = new ipaddr.IPv4(v6.toByteArray().slice(12));
      if (isAllowed(v4, allow)) return { allowed: true };
      const inner = firstMatch(v4, V4_REFUSED);
      label = inner === null ? null : `${embedding} ${v4.toString()}, ${inner}`;
      rule = inner === null ? null : `${inner} (${embedding})`;
    } else {
      label = firstMatch(v6, V6_REFUSED) ?? (v6.match(GLOBAL_UNICAST, GLOBAL_UNICAST_BITS) ? null : 'reserved');
    }
  }
  return label === null ? { allowed: true } : { allowed: false, reason: `refused target ${ip} (${label})`, rule: rule ?? label };
}

function isAllowed(addr: Address, allow: Cidr[]): boolean {
  for (const c of allow) {
    if (c.address.kind() === addr.kind() && addr.match(c.address, c.prefix)) return true;
    // An allowed IPv4 range also covers its IPv4-mapped IPv6 spelling.
    if (addr.kind() === 'ipv6' && c.address.kind() === 'ipv4' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      if ((addr as ipaddr.IPv6).toIPv4Address().match(c.address, c.prefix)) return true;
    }
  }
  return false;
}

function firstMatch(addr: Address, table: Range[]): string | null {
  for (const [net, bits, label] of table) {
    if (net.kind() === addr.kind() && addr.match(net, bits)) return label;
  }
  return null;
}
