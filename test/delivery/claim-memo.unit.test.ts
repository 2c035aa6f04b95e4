import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClaimMemo } from '../../src/delivery/claim-memo.ts';

const set = (...ids: string[]) => new Set(ids);

describe('claim memo', () => {
  it('skips claims leaving out at least the same endpoints until the ttl', () => {
    const m = createClaimMemo(250);
    const { skip, token } = m.before(set('a'), 1000);
    assert.equal(skip, false);
    m.foundNothing(token, set('a'), 1000);
    assert.equal(m.before(set('a'), 1100).skip, true);
    assert.equal(m.before(set('a', 'b'), 1100).skip, true);
    assert.equal(m.before(set('a'), 1250).skip, false, 'the ttl ended');
  });

  it('asks again once a left-out endpoint is back in the claim', () => {
    const m = createClaimMemo(250);
    m.foundNothing(m.before(set('a', 'b'), 0).token, set('a', 'b'), 0);
    assert.equal(m.before(set('a'), 10).skip, false, 'b has room again: its rows may be claimable');
  });

  it('forgets when something may have become due, even during the claim', () => {
    const m = createClaimMemo(250);
    m.foundNothing(m.before(set('a'), 0).token, set('a'), 0);
    m.mayBeDue();
    assert.equal(m.before(set('a'), 1).skip, false);
    const { token } = m.before(set('a'), 2);
    m.mayBeDue(); // a notification arrived while the claim ran
    m.foundNothing(token, set('a'), 3);
    assert.equal(m.before(set('a'), 4).skip, false, 'a stale answer is not remembered');
  });

  it('remembers nothing for a claim that left nothing out (it saw every due row)', () => {
    const m = createClaimMemo(250);
    m.foundNothing(m.before(set(), 0).token, set(), 0);
    assert.equal(m.before(set(), 1).skip, false);
  });
});
