import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, OWNER_KEY } from '../helpers/server.ts';
import { startHookReceiver } from '../helpers/webhook-receiver.ts';
import { commandBlocks } from '../helpers/doc-blocks.ts';
import { DocSession } from '../helpers/doc-runner.ts';
import { verify } from '../../src/domain/signing.ts';

/** Polls the API until `check` holds: the engine's outcome is read back through the API, as a reader would. */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs every command block of docs/troubleshooting.md, in order, against a real server set up in
 * the state the page diagnoses: an endpoint that its receiver's 500s have made `failed`.
 *
 * The server allows plain http:// and 127.0.0.1 only (so the test's receiver on loopback can be
 * called), keeps the production refusal of every other private address (the page's 10.0.0.7 probe)
 * and has the default rate limit (the page reads its headers).
 *
 * Substitutions, besides the runner's rules (test/helpers/doc-runner.ts): the variables of
 * "Before you start" and AGENT_KEY get this server's values; the `listen --forward-to` URL
 * `127.0.0.1:3000` becomes this test's local receiver; the steps run with SWITCHBOARD_PORT=0 and a
 * fresh SWITCHBOARD_DATA_DIR, so the page's `npx switchboard serve` takes a free port and folder.
 */
it('docs/troubleshooting.md: every command prints what the page says', { timeout: 240_000 }, async () => {
  const receiver = await startHookReceiver((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"database unavailable"}');
  });
  const local = await startHookReceiver((_req, res) => void res.writeHead(204).end());
  const t = await startTestServer('sqlite', {
    SWITCHBOARD_ALLOW_HTTP: 'true',
    SWITCHBOARD_ALLOW_TARGETS: '127.0.0.1/32',
    SWITCHBOARD_RATE_LIMIT: '100',
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-doc-serve-'));
  const vars: Record<string, string> = {};
  const session = new DocSession({
    env: { SWITCHBOARD_PORT: '0', SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_LOG_LEVEL: 'warn' },
    vars,
    replace: [['127.0.0.1:3000', local.url.replace('http://', '')]],
  });
  try {
    // The state the page diagnoses: a message.received that failed three times (500) and failed the endpoint.
    const hook = await t.api.post('/v1/webhooks', { url: `${receiver.url}/hooks`, events: ['message.received'], retry: { schedule: [0, 0] } });
    assert.equal(hook.status, 201, hook.text);
    const agentKey = await t.api.post('/v1/keys', { name: 'support-bot', role: 'agent' });
    assert.equal(agentKey.status, 201, agentKey.text);
    const user = await t.api.post('/v1/users', { name: 'Ada Lovelace' });
    const conv = await t.api.post('/v1/conversations', { user_id: user.body.id, channel: 'chat', direction: 'inbound', context: {} });
    const msg = await t.api.post('/v1/messages', { conversation_id: conv.body.id, direction: 'inbound', text: 'Where is my order?' });
    assert.equal(msg.status, 201, msg.text);
    await until('the endpoint to fail', () => t.api.get(`/v1/webhooks/${hook.body.id}`), (r) => r.body.status === 'failed');
    await until('the delivery to fail', () => t.api.get(`/v1/webhooks/${hook.body.id}/deliveries?status=failed`), (r) => r.body.data.length === 1);

    Object.assign(vars, { SWITCHBOARD_URL: t.url, KEY: OWNER_KEY, WEBHOOK_ID: hook.body.id, AGENT_KEY: agentKey.body.key });

    const blocks = commandBlocks('docs/troubleshooting.md');
    assert.ok(blocks.length >= 15, `expected the page's command blocks, found ${blocks.length}`);
    for (const block of blocks) {
      // "Replay what was missed" comes after the reader fixed the receiver.
      if (block.heading === 'Replay what was missed') receiver.handle = (_req, res) => void res.writeHead(204).end();
      const steps = await session.runBlock(block);
      if (block.text.includes('openssl dgst')) {
        // The signature recomputed by hand is one of the signatures that were sent.
        const out = steps.at(-1)!.out;
        const expected = /^expected: (v1,\S+)$/m.exec(out)?.[1];
        const sent = /^sent: +(.+)$/m.exec(out)?.[1]?.split(' ') ?? [];
        assert.ok(expected, out);
        assert.ok(sent.includes(expected), out);
      }
    }

    // The message the page's `trigger` caused went through `listen` to the local receiver, signed
    // with the secret `listen` printed, and the local answer was recorded.
    const results = session.results;
    const listen = results.find((r) => r.command.startsWith('npx switchboard listen '))!;
    const secret = /\(shown once\): (whsec_\S+)/.exec(listen.out)?.[1];
    assert.ok(secret, JSON.stringify(listen));
    const triggered = results.find((r) => r.command.startsWith('npx switchboard trigger '))!;
    const eventId = /\(event (evt_\w+)\)/.exec(triggered.out)![1]!;
    const [got] = (await local.waitFor(1)).filter((r) => r.headers['webhook-id'] === eventId);
    assert.ok(got, 'the triggered event reached the local receiver');
    assert.ok(verify(secret, { id: eventId, timestamp: String(got.headers['webhook-timestamp']), signature: String(got.headers['webhook-signature']) }, got.body));
    // The fixed endpoint got the triggered event too, and the recovered delivery succeeded.
    await receiver.waitFor(4);
  } finally {
    await session.close();
    await t.close();
    await receiver.close();
    await local.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
