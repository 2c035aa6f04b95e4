import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { client, OWNER_KEY, type Client } from '../helpers/server.ts';

/**
 * Customer-written tool schemas against the event loop. The server runs as a child process: a
 * stalled event loop there cannot stall this test, which keeps asking GET /healthz while the
 * hostile call is in flight and fails when an answer does not come.
 */

const HEALTH_TIMEOUT_MS = 3000;

/** Runs `hostile` and polls /healthz until it settles; every health check must be answered. */
async function whileResponsive<T>(url: string, hostile: () => Promise<T>): Promise<T> {
  let settled = false;
  const pending = hostile().finally(() => (settled = true));
  let checks = 0;
  // Bounded: the hostile call either ends or a health check goes unanswered long before this.
  while (!settled && checks < 500) {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) }).catch((err: Error) => {
      throw new Error(`GET /healthz got no answer within ${HEALTH_TIMEOUT_MS} ms while the hostile call ran: ${err.message}`);
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    checks++;
  }
  return pending;
}

describe('tool schemas cannot stall the process', () => {
  let server: ServerProcess;
  let api: Client;
  let dataDir: string;
  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-limits-'));
    server = await startServerProcess([], {
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
      SWITCHBOARD_RATE_LIMIT: '0',
      SWITCHBOARD_ALLOW_HTTP: 'true',
      SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
    });
    api = client(server.url!, OWNER_KEY);
  });
  after(async () => {
    // kill -9: a stalled event loop would never run a graceful shutdown.
    await server.crash();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('checks a backtracking-prone pattern in linear time: `^(\\w|\\d)+$` on 40 characters', async () => {
    // Digits match both \w and \d: a backtracking engine tries 2^39 ways before it says no.
    const agent = await api.post('/v1/agents', {
      name: 'regex',
      config: {
        tools: [
          {
            name: 'lookup',
            type: 'WEBHOOK',
            parameters: { type: 'object', properties: { code: { type: 'string', pattern: '^(\\w|\\d)+$' } }, required: ['code'] },
            webhook: { url: 'http://127.0.0.1:9/lookup/$code', method: 'GET' },
          },
        ],
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const conv = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', agent_id: agent.body.id, context: {} });
    assert.equal(conv.status, 201, conv.text);
    const res = await whileResponsive(server.url!, () =>
      api.post(`/v1/conversations/${conv.body.id}/tool_calls/preview`, { tool: 'lookup', arguments: { code: '1'.repeat(39) + '!' } }),
    );
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.param, '/arguments/code');
    const ok = await api.post(`/v1/conversations/${conv.body.id}/tool_calls/preview`, { tool: 'lookup', arguments: { code: 'a1b2' } });
    assert.equal(ok.status, 200, ok.text);
  });

  it('refuses a 240 KiB anyOf without compiling it', async () => {
    const anyOf = Array.from({ length: 4200 }, (_, i) => ({ type: 'object', properties: { [`k${i}`]: { const: i } }, required: [`k${i}`] }));
    const parameters = { type: 'object', properties: { a: { anyOf } } };
    assert.ok(JSON.stringify(parameters).length > 240 * 1024);
    const res = await whileResponsive(server.url!, () =>
      api.post('/v1/agents', { name: 'huge', config: { tools: [{ name: 'huge', type: 'WEBHOOK', parameters, webhook: { url: 'http://127.0.0.1:9/x', method: 'POST' } }] } }),
    );
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.param, '/config/tools/0/parameters');
    assert.match(res.body.error.message, /at most 16384 bytes/);
  });
});
