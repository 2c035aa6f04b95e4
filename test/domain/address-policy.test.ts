import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAddress, parseAllowList } from '../../src/domain/address-policy.ts';

// Strings only: nothing here is ever dialled.
const refused: [string, string][] = [
  ['0.0.0.0', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'link-local'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.255', 'carrier-grade NAT'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['0.1.2.3', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.255', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456:789a::1', 'unique-local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1, loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped 127.0.0.1, loopback'],
  ['::ffff:10.1.2.3', 'IPv4-mapped 10.1.2.3, private'],
  ['::ffff:169.254.169.254', 'IPv4-mapped 169.254.169.254, link-local'],
  ['64:ff9b::127.0.0.1', 'NAT64 127.0.0.1, loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 169.254.169.254, link-local'],
  ['64:ff9b:1::1', 'reserved'],
  ['2002:7f00:1::1', '6to4'],
  ['2002:808:808::1', '6to4'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ['2001:db8::1', 'documentation'],
  ['2001:db8:ffff::1', 'documentation'],
  ['100::1', 'discard'],
  ['100::ffff:ffff:ffff:ffff', 'discard'],
  ['::127.0.0.1', 'reserved'], // deprecated IPv4-compatible form
  ['fec0::1', 'reserved'], // deprecated site-local
  ['2001:2::1', 'reserved'], // IETF protocol assignments (benchmarking)
];

const allowed = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'];

test('refused ranges, with the reason named', () => {
  for (const [ip, label] of refused) {
    const r = checkAddress(ip, []);
    assert.equal(r.allowed, false, ip);
    assert.equal(!r.allowed && r.reason, `refused target ${ip} (${label})`, ip);
    // The rule alone never carries an address (it is what a tenant is told about a resolved name).
    assert.ok(!r.allowed && !/\d+\.\d+\.\d+\.\d+|::/.test(r.rule), `${ip}: ${!r.allowed && r.rule}`);
  }
});

test('global unicast passes', () => {
  for (const ip of allowed) assert.deepEqual(checkAddress(ip, []), { allowed: true }, ip);
});

test('not an IP address is refused', () => {
  assert.equal(checkAddress('example.com', []).allowed, false);
  assert.equal(checkAddress('', []).allowed, false);
});

test('the allowlist exempts exactly its ranges', () => {
  const dev = parseAllowList('127.0.0.0/8,::1/128');
  for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) assert.deepEqual(checkAddress(ip, dev), { allowed: true }, ip);
  for (const ip of ['10.0.0.1', '::2', '169.254.169.254', 'fe80::1', '::127.0.0.1']) assert.equal(checkAddress(ip, dev).allowed, false, ip);

  const lan = parseAllowList(' 10.1.0.0/16 , fd00::/8, 169.254.169.254 ');
  assert.equal(lan.length, 3);
  assert.deepEqual(checkAddress('10.1.200.3', lan), { allowed: true });
  assert.equal(checkAddress('10.2.0.1', lan).allowed, false);
  assert.deepEqual(checkAddress('fd00::5', lan), { allowed: true });
  assert.equal(checkAddress('fc00::5', lan).allowed, false);
  assert.deepEqual(checkAddress('169.254.169.254', lan), { allowed: true });
  assert.equal(checkAddress('169.254.169.253', lan).allowed, false);
});

test('parseAllowList', () => {
  assert.deepEqual(parseAllowList(undefined), []);
  assert.deepEqual(parseAllowList(''), []);
  assert.deepEqual(parseAllowList(' , '), []);
  assert.deepEqual(parseAllowList('0.0.0.0/0').map((c) => [c.address.toString(), c.prefix, c.text]), [['0.0.0.0', 0, '0.0.0.0/0']]);
  assert.deepEqual(parseAllowList('::/0,::1').map((c) => c.prefix), [0, 128]);
  for (const bad of ['10.0.0.0/33', '::1/129', 'foo', '10.0.0.0/8/8', '127.1/8', '0x7f.0.0.1/8', '10.0.0.0/', '10.0.0.0/-1', 'fe80::1%eth0/64', '10.0.0.0/8,nope']) {
    assert.throws(() => parseAllowList(bad), /invalid CIDR/, bad);
  }
});
