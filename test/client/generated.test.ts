/**
 * The checked-in client types (src/client/schema.ts) are exactly what the generator makes from the
 * GET /openapi.json a real server serves now: a route schema changed without
 * `npm run client:generate` fails here.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { SCHEMA_FILE, generateSchemaTypes } from '../../src/client/generate.ts';

describe('generated client types', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer('sqlite');
  });
  after(() => t.close());

  it('match what the generator makes from /openapi.json', async () => {
    const doc = await (await fetch(t.url + '/openapi.json')).json();
    const expected = await generateSchemaTypes(doc);
    const actual = fs.readFileSync(SCHEMA_FILE, 'utf8');
    if (actual === expected) return;
    const a = actual.split('\n');
    const e = expected.split('\n');
    let i = 0;
    while (i < a.length && i < e.length && a[i] === e[i]) i++;
    assert.fail(
      `src/client/schema.ts is out of date with /openapi.json: run "npm run client:generate" and commit it.\n` +
        `First difference at line ${i + 1}:\n  checked in: ${a[i] ?? '(end of file)'}\n  generated:  ${e[i] ?? '(end of file)'}`,
    );
  });
});
