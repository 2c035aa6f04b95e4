import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { HTTP_NOT_ALLOWED, createHttpClient, type HttpClient } from '../../src/delivery/http-client.ts';
import { checkHost, createGuardedLookup, TargetRefusedError } from '../../src/delivery/target-guard.ts';
import { parseAllowList } from '../../src/domain/address-policy.ts';

const LOOPBACK = parseAllowList('127.0.0.0/8,::1/128');
const UA = 'Switchboard-Webhooks/test';

interface TestServer {
  port: number;
  /** TCP connections accepted so far: a refused target must leave this at 0. */
  connections(): number;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server, host: string): Promise<TestServer> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function routes(): http.RequestListener {
  return (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/json') {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] });
        res.end(JSON.stringify({ ok: true, method: req.method, ua: req.headers['user-agent'], sig: req.headers['webhook-signature'] ?? null, body, query: u.search }));
      });
    } else if (u.pathname === '/fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    } else if (u.pathname === '/redirect') {
      res.writeHead(302, { location: '/json' }).end();
    } else if (u.pathname === '/huge') {
      const total = 5 * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else if (u.pathname === '/endless') {
      // Streams until the client hangs up; reports how much it managed to write.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'y');
      let stopped = false;
      res.on('close', () => {
        stopped = true;
        endless.resolve(endless.written);
      });
      const pump = () => {
        while (!stopped) {
          endless.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    } else if (u.pathname === '/hang') {
      // Never answers.
    } else if (u.pathname === '/drip') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(t));
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    }
  };
}

const endless = { written: 0, resolve: (_n: number) => {} };

let v4: TestServer;
let dual: TestServer; // listens on :: so 127.0.0.1, ::1 and ::ffff:127.0.0.1 all reach it
let allowed: HttpClient;
let strict: HttpClient;

before(async () => {
  v4 = await listen(http.createServer(routes()), '127.0.0.1');
  dual = await listen(http.createServer(routes()), '::');
  allowed = createHttpClient({ allowHttp: true, allowTargets: LOOPBACK, userAgent: UA });
  strict = createHttpClient({ allowHttp: true, allowTargets: [], userAgent: UA });
});

after(async () => {
  await allowed.close();
  await strict.close();
  await v4.close();
  await dual.close();
});

const get = (url: string, extra: Partial<Parameters<HttpClient['send']>[0]> = {}) => ({ method: 'GET', url, headers: {}, timeoutMs: 2000, ...extra });

describe('http client against loopback servers', () => {
  test('200 with a JSON body, request body and headers sent', async () => {
    const r = await allowed.send({
      method: 'POST', url: `http://127.0.0.1:${v4.port}/json?x=1#frag`, timeoutMs: 2000,
      headers: { 'content-type': 'application/json', 'webhook-signature': 'v1,abc' }, body: '{"id":"evt_1"}',
    });
    assert.equal(r.error, null);
    assert.equal(r.errorCode, null);
    assert.equal(r.statusCode, 200);
    assert.equal(r.truncated, false);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-multi'], 'a, b');
    assert.deepEqual(JSON.parse(r.body), { ok: true, method: 'POST', ua: UA, sig: 'v1,abc', body: '{"id":"evt_1"}', query: '?x=1' });
    assert.ok(r.durationMs >= 0 && r.durationMs < 2000);
  });

  test('a user-agent given by the caller wins', async () => {
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/json`, { headers: { 'User-Agent': 'custom/1' } }));
    assert.equal(JSON.parse(r.body).ua, 'custom/1');
  });

  test('500 is returned as an answer, not an error', async () => {
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/fail`));
    assert.equal(r.statusCode, 500);
    assert.equal(r.body, 'boom');
    assert.equal(r.error, null);
  });

  test('302 is not followed', async () => {
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/redirect`));
    assert.equal(r.statusCode, 302);
    assert.equal(r.headers.location, '/json');
    assert.equal(r.body, '');
  });

  test('a 5 MB answer is cut at 64 KiB', async () => {
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/huge`));
    assert.equal(r.statusCode, 200);
    assert.equal(r.truncated, true);
    assert.equal(Buffer.byteLength(r.body), 65536);
    assert.equal(r.error, null);
  });

  test('maxResponseBytes is honoured exactly', async () => {
    const cut = await allowed.send(get(`http://127.0.0.1:${v4.port}/`, { maxResponseBytes: 3 }));
    assert.deepEqual([cut.body, cut.truncated], ['hel', true]);
    const exact = await allowed.send(get(`http://127.0.0.1:${v4.port}/`, { maxResponseBytes: 5 }));
    assert.deepEqual([exact.body, exact.truncated], ['hello', false]);
  });

  test('an endless answer is not buffered: the client hangs up after the limit', async () => {
    const closed = new Promise<number>((resolve) => (endless.resolve = resolve));
    endless.written = 0;
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/endless`, { timeoutMs: 5000 }));
    assert.equal(r.statusCode, 200);
    assert.equal(r.truncated, true);
    assert.equal(Buffer.byteLength(r.body), 65536);
    const written = await closed;
    // Socket buffers hold a few MB; anything near this bound would mean the body was being drained.
    assert.ok(written < 64 * 1024 * 1024, `server wrote ${written} bytes`);
  });

  test('a server that never answers times out within timeoutMs', async () => {
    const t0 = Date.now();
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/hang`, { timeoutMs: 300 }));
    const took = Date.now() - t0;
    assert.equal(r.statusCode, null);
    assert.equal(r.errorCode, 'TIMEOUT');
    assert.match(r.error ?? '', /timed out after 300 ms/);
    assert.ok(took >= 290 && took < 800, `took ${took} ms`);
  });

  test('the deadline covers the body too', async () => {
    const t0 = Date.now();
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/drip`, { timeoutMs: 400 }));
    const took = Date.now() - t0;
    assert.equal(r.statusCode, null);
    assert.equal(r.errorCode, 'TIMEOUT');
    assert.ok(r.body.startsWith('.'), 'keeps what arrived');
    assert.ok(took >= 390 && took < 900, `took ${took} ms`);
  });

  test('connection refused', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await allowed.send(get(`http://127.0.0.1:${port}/`));
    assert.equal(r.statusCode, null);
    assert.equal(r.errorCode, 'CONNECTION');
    assert.match(r.error ?? '', /ECONNREFUSED/);
  });

  test('invalid URLs and schemes', async () => {
    for (const url of ['not a url', 'ftp://127.0.0.1/', 'file:///etc/passwd', 'javascript:alert(1)']) {
      const r = await allowed.send(get(url));
      assert.equal(r.errorCode, 'INVALID_URL', url);
      assert.equal(r.statusCode, null);
    }
  });

  test('http:// is refused at send when the server allows only https://, whenever the URL was saved', async () => {
    let reached = 0;
    const server = await listen(http.createServer((_req, res) => { reached++; res.end('ok'); }), '127.0.0.1');
    const httpsOnly = createHttpClient({ allowHttp: false, allowTargets: LOOPBACK, userAgent: UA });
    try {
      const r = await httpsOnly.send(get(`http://127.0.0.1:${server.port}/hook`));
      assert.equal(r.errorCode, 'INVALID_URL');
      assert.equal(r.error, HTTP_NOT_ALLOWED);
      assert.match(r.error ?? '', /SWITCHBOARD_ALLOW_HTTP/);
      assert.equal(reached, 0, 'nothing was sent');
      // The same URL goes once the setting allows it (the check is not a leftover of the first parse).
      assert.equal((await allowed.send(get(`http://127.0.0.1:${server.port}/hook`))).statusCode, 200);
      assert.equal(reached, 1);
    } finally {
      await httpsOnly.close();
      await server.close();
    }
  });

  test('an unsafe header value is an error, not a throw', async () => {
    const r = await allowed.send(get(`http://127.0.0.1:${v4.port}/`, { headers: { 'x-evil': 'a\r\nx-injected: 1' } }));
    assert.equal(r.statusCode, null);
    assert.equal(r.errorCode, 'INVALID_REQUEST');
  });
});

describe('target guard through the full client path', () => {
  test('loopback is refused without an allowlist and never dialled', async () => {
    const before = v4.connections();
    const r = await strict.send(get(`http://127.0.0.1:${v4.port}/json`));
    assert.equal(r.statusCode, null);
    assert.equal(r.errorCode, 'TARGET_REFUSED');
    assert.equal(r.error, 'refused target 127.0.0.1 (loopback); to allow it, list its network in SWITCHBOARD_ALLOW_TARGETS (serve --dev allows loopback addresses)');
    assert.equal(v4.connections(), before);
  });

  test('odd spellings of loopback are refused and never dialled', async () => {
    const urls = [
      `http://2130706433:${dual.port}/`,
      `http://0x7f.1:${dual.port}/`,
      `http://127.1:${dual.port}/`,
      `http://0177.0.0.1:${dual.port}/`,
      `http://[::ffff:127.0.0.1]:${dual.port}/`,
      `http://[::1]:${dual.port}/`,
      `http://[0:0:0:0:0:0:0:1]:${dual.port}/`,
      `http://localhost:${dual.port}/`,
      `http://0.0.0.0:${dual.port}/`,
      `http://0:${dual.port}/`,
      `http://[::]:${dual.port}/`,
    ];
    const before = dual.connections();
    for (const url of urls) {
      const r = await strict.send(get(url));
      assert.equal(r.errorCode, 'TARGET_REFUSED', `${url}: ${r.error}`);
      assert.equal(r.statusCode, null);
      assert.match(r.error ?? '', /^refused target /);
    }
    assert.equal(dual.connections(), before);
  });

  test('the same spellings pass when the allowlist covers loopback', async () => {
    const urls = [
      `http://2130706433:${dual.port}/`,
      `http://0x7f.1:${dual.port}/`,
      `http://127.1:${dual.port}/`,
      `http://[::ffff:127.0.0.1]:${dual.port}/`,
      `http://[::1]:${dual.port}/`,
      `http://localhost:${dual.port}/`,
    ];
    for (const url of urls) {
      const r = await allowed.send(get(url));
      assert.equal(r.error, null, url);
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, 'hello');
    }
  });

  test('an allowlist that does not cover the address still refuses', async () => {
    const c = createHttpClient({ allowHttp: true, allowTargets: parseAllowList('10.0.0.0/8,fd00::/8'), userAgent: UA });
    try {
      const r = await c.send(get(`http://localhost:${v4.port}/`));
      assert.equal(r.errorCode, 'TARGET_REFUSED');
      assert.equal(r.error, 'refused target localhost: it resolves to a loopback address; to allow it, list its network in SWITCHBOARD_ALLOW_TARGETS (serve --dev allows loopback addresses)');
    } finally {
      await c.close();
    }
  });

  test('checkHost refuses IP literals and leaves names to the lookup', () => {
    assert.throws(() => checkHost('127.0.0.1', []), (e: unknown) => e instanceof TargetRefusedError && e.code === 'TARGET_REFUSED');
    assert.throws(() => checkHost('[::1]', []), TargetRefusedError);
    assert.throws(() => checkHost('169.254.169.254', []), /link-local/);
    assert.doesNotThrow(() => checkHost('127.0.0.1', LOOPBACK));
    assert.doesNotThrow(() => checkHost('8.8.8.8', []));
    assert.doesNotThrow(() => checkHost('localhost', []));
  });

  test('the guarded lookup answers both the single and the all:true form', async () => {
    const open = createGuardedLookup(LOOPBACK);
    const one = await new Promise<[unknown, unknown, unknown]>((resolve) => open('localhost', { family: 4 }, (e, a, f) => resolve([e, a, f])));
    assert.deepEqual(one, [null, '127.0.0.1', 4]);
    const all = await new Promise<[unknown, unknown]>((resolve) => open('localhost', { all: true, family: 4 }, (e, a) => resolve([e, a])));
    assert.deepEqual(all, [null, [{ address: '127.0.0.1', family: 4 }]]);
    const shut = createGuardedLookup([]);
    const refused = await new Promise<unknown>((resolve) => shut('localhost', { all: true }, (e) => resolve(e)));
    assert.ok(refused instanceof TargetRefusedError);
  });
});

describe('https', () => {
  let dir: string;
  let cert: string;
  let tlsServer: TestServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    tlsServer = await listen(https.createServer({ key, cert }, routes()), '127.0.0.1');
  });

  after(async () => {
    await tlsServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a self-signed certificate fails with TLS', async () => {
    const r = await allowed.send(get(`https://127.0.0.1:${tlsServer.port}/json`));
    assert.equal(r.statusCode, null);
    assert.equal(r.errorCode, 'TLS', r.error ?? '');
  });

  test('the same certificate passes when given as ca', async () => {
    const c = createHttpClient({ allowHttp: true, allowTargets: LOOPBACK, userAgent: UA, ca: cert });
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        const r = await c.send(get(`https://${host}:${tlsServer.port}/json`));
        assert.equal(r.error, null, host);
        assert.equal(r.statusCode, 200);
        assert.equal(JSON.parse(r.body).ok, true);
      }
    } finally {
      await c.close();
    }
  });

  test('https to a refused target is refused before the handshake', async () => {
    const before = tlsServer.connections();
    const c = createHttpClient({ allowHttp: true, allowTargets: [], userAgent: UA, ca: cert });
    try {
      const r = await c.send(get(`https://127.0.0.1:${tlsServer.port}/json`));
      assert.equal(r.errorCode, 'TARGET_REFUSED');
      assert.equal(tlsServer.connections(), before);
    } finally {
      await c.close();
    }
  });
});
