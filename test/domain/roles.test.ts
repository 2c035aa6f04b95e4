import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyActionRefusal } from '../../src/domain/roles.ts';

describe('key role rank', () => {
  it('lets a key act on keys up to its own role, never above', () => {
    const roles = ['agent', 'admin', 'owner'] as const;
    for (const [i, actor] of roles.entries()) {
      for (const [j, target] of roles.entries()) {
        for (const action of ['create', 'revoke'] as const) {
          const refusal = keyActionRefusal(actor, action, target);
          if (j <= i) assert.equal(refusal, null, `${actor} ${action} ${target}`);
          else assert.equal(refusal, `An ${actor} key cannot ${action} an ${target} key; use an ${target} key for that.`);
        }
      }
    }
  });
});
