import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ERROR_CODES, SwitchboardError } from '../../src/domain/errors.ts';

const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
/** code → [status, type] as the table in docs/errors.md states them. */
const documented = new Map(
  [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => [m[1], [Number(m[2]), m[3]] as const]),
);

describe('error registry', () => {
  it('documents every code with its status and type in docs/errors.md, and nothing else', () => {
    for (const code of ERROR_CODES) {
      const err = new SwitchboardError(code);
      assert.deepEqual(documented.get(code), [err.status, err.type], `docs/errors.md: ${code}`);
    }
    assert.deepEqual([...documented.keys()].sort(), [...ERROR_CODES].sort());
  });
});
