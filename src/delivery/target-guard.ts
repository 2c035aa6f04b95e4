import dns from 'node:dns';
import net from 'node:net';
import { checkAddress, type Cidr } from '../domain/address-policy.ts';

/**
 * Vets the IP address actually dialled, after DNS resolution, so a hostname that resolves (or is
 * later rebound) to a private address cannot reach the server's own network.
 */

/**
 * Thrown (or passed to the connect callback) when a target address is refused. The message is
 * what the tenant sees (attempt and log errors): the rule, and the address only when the URL
 * itself spelled it. The address a name resolved to is in `address`, for the server log only:
 * telling it to the tenant would map the server's network.
 */
export class TargetRefusedError extends Error {
  readonly code = 'TARGET_REFUSED';
  constructor(
    message: string,
    readonly hostname: string,
    readonly address: string,
    readonly rule: string,
  ) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/**
 * Throws TargetRefusedError when the hostname is a refused IP literal. Node's net.connect skips the
 * lookup function for IP literals, so the caller must check them before dialling.
 */
export function checkHost(hostname: string, allow: Cidr[]): void {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (net.isIP(host) === 0) return; // a name: vetted after resolution by the guarded lookup
  const verdict = checkAddress(host, allow);
  if (!verdict.allowed) throw new TargetRefusedError(verdict.reason, host, host, verdict.rule);
}

/** A `net.LookupFunction` that resolves with dns.lookup and refuses the name if any address is refused. */
export function createGuardedLookup(allow: Cidr[]): net.LookupFunction {
  return (hostname, options, callback) => {
    // Old-style callers pass (hostname, callback) or a bare family number.
    if (typeof options === 'function') {
      callback = options as unknown as typeof callback;
      options = {};
    } else if (typeof options === 'number') {
      options = { family: options };
    }
    const wantAll = options?.all === true;
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, wantAll ? [] : '');
      if (addresses.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        e.code = 'ENOTFOUND';
        return callback(e, wantAll ? [] : '');
      }
      // Refuse the whole name rather than filtering: a name mixing public and private addresses is
      // either a mistake or a probe, and dialling only part of it would hide that.
      for (const a of addresses) {
        const verdict = checkAddress(a.address, allow);
        if (!verdict.allowed) {
          const refused = new TargetRefusedError(`refused target ${hostname}: it resolves to a ${verdict.rule} address`, hostname, a.address, verdict.rule);
          return callback(refused, wantAll ? [] : '');
        }
      }
      if (wantAll) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
