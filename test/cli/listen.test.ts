import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { generateSecret, decodeSecret, signatureHeader } from '../../src/domain/signing.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.js');

describe('switchboard listen', () => {
  it('prints deliveries and tells valid signatures from forged ones', async () => {
    const secret = generateSecret();
    const child = spawn(process.execPath, [BIN, 'listen', '--port', '0', '--secret', secret], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('listen did not start: ' + out)), 15_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /receiving webhooks on (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    try {
      const body = JSON.stringify({ id: 'evt_1', type: 'message.received', data: {} });
      const ts = Math.floor(Date.now() / 1000);
      const good = signatureHeader([decodeSecret(secret)], 'evt_1', ts, body);
      const send = (signature: string) =>
        fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature } });
      assert.equal((await send(good)).status, 200);
      assert.equal((await send('v1,' + Buffer.alloc(32).toString('base64'))).status, 200);
      await new Promise((r) => setTimeout(r, 200));
      assert.match(out, /message\.received evt_1 signature valid/);
      assert.match(out, /message\.received evt_1 signature INVALID/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
