import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { generateSecret, decodeSecret, signatureHeader } from '../../src/domain/signing.ts';
import { startTestServer, OWNER_KEY, type TestServer, type Client } from '../helpers/server.ts';
import { cli } from '../helpers/cli.ts';

/** A receiver that verifies with `secret()` on the raw body: 204 when the signature holds, else 400. */
async function verifyingReceiver(secret: () => string | null) {
  const got: { id: string; type: string; ok: boolean }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c)).on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let ok = false;
      try {
        new Webhook(secret()!).verify(body, req.headers as Record<string, string>);
        ok = true;
      } catch {
        /* bad signature */
      }
      got.push({ id: String(req.headers['webhook-id']), type: JSON.parse(body).type, ok });
      res.writeHead(ok ? 204 : 400).end(ok ? undefined : 'bad signature');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A TCP proxy in front of the server whose connections the test can cut, and refuse for a while. */
async function cuttableProxy(target: string) {
  const { port, hostname } = new URL(target);
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((c) => {
    if (refusing) return c.destroy();
    const s = net.connect(Number(port), hostname);
    sockets.add(c).add(s);
    c.pipe(s).pipe(c);
    const drop = () => {
      c.destroy();
      s.destroy();
      sockets.delete(c);
      sockets.delete(s);
    };
    c.on('error', drop).on('close', drop);
    s.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function newMessage(api: Client, text = 'hello') {
  const u = await api.post('/v1/users', { name: 'Ada' });
  const c = await api.post('/v1/conversations', { user_id: u.body.id, channel: 'whatsapp', direction: 'inbound', context: {} });
  const m = await api.post('/v1/messages', { conversation_id: c.body.id, direction: 'inbound', text });
  assert.equal(m.status, 201, m.text);
  const events = await api.get(`/v1/events?type=message.received&conversation_id=${c.body.id}`);
  return events.body.data[0].id as string;
}

const SECRET_LINE = /signing secret for this session \(shown once\): (whsec_\S+)/;
const SESSION_LINE = /\(session (wh_\w+);/;

describe('switchboard listen --forward-to', () => {
  let srv: TestServer;
  before(async () => {
    // One endpoint allowed: an open listener session must not take its place.
    srv = await startTestServer('sqlite', { SWITCHBOARD_MAX_WEBHOOKS: '1' });
  });
  after(() => srv.close());

  it('forwards signed events to the local URL, prints one line each, records the answer as the attempt, and Ctrl-C removes the session', async () => {
    let secret: string | null = null;
    const receiver = await verifyingReceiver(() => secret);
    const listen = cli(['listen', '--forward-to', receiver.url, '--events', 'message.*', '--api', srv.url, '--key', OWNER_KEY]);
    try {
      secret = (await listen.waitFor(SECRET_LINE))[1];
      const session = (await listen.waitFor(SESSION_LINE))[1];

      // Not an endpoint: not listed, not counted against the limit, not reachable as one.
      assert.deepEqual((await srv.api.get('/v1/webhooks')).body.data, []);
      assert.equal((await srv.api.get(`/v1/webhooks/${session}`)).status, 404);
      const endpoint = await srv.api.post('/v1/webhooks', { url: 'https://example.com/hooks', events: ['user.created'] });
      assert.equal(endpoint.status, 201, endpoint.text);

      const eventId = await newMessage(srv.api);
      // One line: time, type, event id, the local answer and its duration (and the delivery id).
      const line = await listen.waitFor(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  message\\.received  ${eventId}  ✓ 204  \\d+ ms  (dlv_\\w+)$`, 'm'));
      assert.equal(receiver.got.length, 1, 'only message.* was forwarded (no user.created, conversation.created)');
      assert.deepEqual(receiver.got[0], { id: eventId, type: 'message.received', ok: true });

      // The local answer is the delivery's attempt, as for any endpoint.
      const dlv = line[1];
      let d = await srv.api.get(`/v1/deliveries/${dlv}`);
      for (let i = 0; i < 50 && d.body.status === 'pending'; i++) d = await new Promise((r) => setTimeout(r, 50)).then(() => srv.api.get(`/v1/deliveries/${dlv}`));
      assert.equal(d.body.status, 'succeeded', d.text);
      assert.equal(d.body.webhook_id, session);
      assert.equal(d.body.attempts.length, 1);
      assert.equal(d.body.attempts[0].status_code, 204);
      assert.equal(d.body.attempts[0].request_headers['webhook-id'], eventId);

      assert.equal(await listen.stop('SIGINT'), 0);
      assert.match(listen.out(), new RegExp(`session ${session} ended`));
      assert.equal((await srv.api.delete(`/v1/listeners/${session}`)).status, 404, 'the session is gone');
      assert.equal((await srv.api.get(`/v1/deliveries/${dlv}`)).status, 404, 'its deliveries went with it');
      await srv.api.delete(`/v1/webhooks/${endpoint.body.id}`);
    } finally {
      await listen.stop();
      await receiver.close();
    }
  });

  it('reports a receiver that refuses the signature as a failure (✗ 400), recorded as a failed attempt', async () => {
    const receiver = await verifyingReceiver(() => generateSecret()); // not the session's secret
    const listen = cli(['listen', '--forward-to', receiver.url, '--events', 'message.received'], { SWITCHBOARD_API_URL: srv.url, SWITCHBOARD_API_KEY: OWNER_KEY });
    try {
      await listen.waitFor(SECRET_LINE);
      const eventId = await newMessage(srv.api);
      const line = await listen.waitFor(new RegExp(`message\\.received  ${eventId}  ✗ 400  \\d+ ms  (dlv_\\w+)`));
      let d = await srv.api.get(`/v1/deliveries/${line[1]}`);
      for (let i = 0; i < 50 && d.body.status === 'pending'; i++) d = await new Promise((r) => setTimeout(r, 50)).then(() => srv.api.get(`/v1/deliveries/${line[1]}`));
      assert.equal(d.body.status, 'failed');
      assert.equal(d.body.attempts[0].status_code, 400);
      assert.equal(d.body.attempts[0].response_body, 'bad signature');
    } finally {
      await listen.stop('SIGINT');
      await receiver.close();
    }
  });

  it('resumes a dropped connection: events made while it was down arrive once each, none twice', async () => {
    let secret: string | null = null;
    const receiver = await verifyingReceiver(() => secret);
    const proxy = await cuttableProxy(srv.url);
    const listen = cli(['listen', '--forward-to', receiver.url, '--events', 'message.received', '--api', proxy.url, '--key', OWNER_KEY]);
    try {
      secret = (await listen.waitFor(SECRET_LINE))[1];
      const first = await newMessage(srv.api, 'before');
      await listen.waitFor(new RegExp(`${first}  ✓ 204`));

      proxy.cut();
      await listen.waitFor(/connection lost: .*reconnecting/);
      const during: string[] = [];
      for (let i = 0; i < 3; i++) during.push(await newMessage(srv.api, `during ${i}`));
      proxy.restore();

      await listen.waitFor(/reconnected/);
      for (const id of during) await listen.waitFor(new RegExp(`${id}  ✓ 204`));
      const after = await newMessage(srv.api, 'after');
      await listen.waitFor(new RegExp(`${after}  ✓ 204`));

      const ids = receiver.got.map((g) => g.id);
      assert.deepEqual(ids, [first, ...during, after], 'each event forwarded exactly once, in order');
      assert.ok(receiver.got.every((g) => g.ok));
    } finally {
      await listen.stop('SIGINT');
      await proxy.close();
      await receiver.close();
    }
  });

  it('says in one line, exit code 2, when the server is down or the key is refused', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = cli(['listen', '--forward-to', 'http://127.0.0.1:3000/hooks', '--api', `http://127.0.0.1:${closedPort}`, '--key', OWNER_KEY]);
    assert.equal(await down.exited, 2);
    assert.match(down.err(), new RegExp(`^switchboard: cannot reach the server at http://127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\); start it with \`npm run dev\``));
    assert.equal(down.err().trim().split('\n').length, 1, down.err());

    const badKey = cli(['listen', '--forward-to', 'http://127.0.0.1:3000/hooks', '--api', srv.url, '--key', 'sk_wrong_' + 'x'.repeat(32)]);
    assert.equal(await badKey.exited, 2);
    assert.match(badKey.err(), /^switchboard: the server at .* refused the API key/);
    assert.equal(badKey.err().trim().split('\n').length, 1, badKey.err());

    const agent = await srv.api.post('/v1/keys', { name: 'agent', role: 'agent' });
    const forbidden = cli(['listen', '--forward-to', 'http://127.0.0.1:3000/hooks', '--api', srv.url, '--key', agent.body.key]);
    assert.equal(await forbidden.exited, 2);
    assert.match(forbidden.err(), /need an owner or admin key/);

    const noKey = cli(['listen', '--forward-to', 'http://127.0.0.1:3000/hooks', '--api', srv.url], { SWITCHBOARD_DATA_DIR: '/nonexistent-switchboard-data' });
    assert.equal(await noKey.exited, 2);
    assert.match(noKey.err(), /^switchboard: no API key: pass --key sk_\.\.\. or set SWITCHBOARD_API_KEY/);
  });
});

describe('switchboard listen --port (bare receiver)', () => {
  it('prints deliveries and answers a forged signature 400, printed as a failure', async () => {
    const secret = generateSecret();
    const child = cli(['listen', '--port', '0', '--secret', secret]);
    try {
      const url = (await child.waitFor(/receiving webhooks on (\S+)/))[1];
      const body = JSON.stringify({ id: 'evt_1', type: 'message.received', data: {} });
      const ts = Math.floor(Date.now() / 1000);
      const good = signatureHeader([decodeSecret(secret)], 'evt_1', ts, body);
      const send = (signature: string) =>
        fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature } });
      assert.equal((await send(good)).status, 200);
      assert.equal((await send('v1,' + Buffer.alloc(32).toString('base64'))).status, 400);
      await child.waitFor(/message\.received evt_1 signature valid ✓ 200/);
      await child.waitFor(/message\.received evt_1 signature INVALID ✗ 400/);
    } finally {
      await child.stop();
    }
  });

  it('a busy port is one line and exit code 2', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = cli(['listen', '--port', String(port)]);
      assert.equal(await child.exited, 2);
      assert.equal(child.err(), `switchboard: port ${port} on 127.0.0.1 is in use; pick another with --port (0 picks a free one)\n`);
    } finally {
      taken.close();
    }
  });
});
