import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { EVENT_ALIASES, suggestEventTypes, unknownEventTypeMessage } from '../../src/domain/event-names.ts';
import { EVENT_TYPE_NAMES } from '../../src/domain/event-types.ts';
import { validateEventPatterns } from '../../src/domain/event-filter.ts';

describe('event names: aliases and suggestions', () => {
  it('every alias points at a catalog type', () => {
    for (const [from, to] of Object.entries(EVENT_ALIASES)) {
      assert.ok(EVENT_TYPE_NAMES.includes(to), `${from} -> ${to}`);
      assert.ok(!EVENT_TYPE_NAMES.includes(from), `${from} is itself a catalog name`);
    }
  });

  it('the product docs names map to Switchboard names first', () => {
    assert.equal(suggestEventTypes('call.end', EVENT_TYPE_NAMES)[0], 'call.ended');
    assert.equal(suggestEventTypes('message.link_tracking', EVENT_TYPE_NAMES)[0], 'message.link_clicked');
    assert.equal(suggestEventTypes('conversation.assign', EVENT_TYPE_NAMES)[0], 'conversation.assigned');
    assert.equal(suggestEventTypes('conversation.close', EVENT_TYPE_NAMES)[0], 'conversation.closed');
    assert.equal(suggestEventTypes('Conversation.Close', EVENT_TYPE_NAMES)[0], 'conversation.closed');
  });

  it('typos get the closest names, nonsense gets none', () => {
    assert.deepEqual(suggestEventTypes('message.recieved', EVENT_TYPE_NAMES).slice(0, 1), ['message.received']);
    assert.ok(suggestEventTypes('mesage.sent', EVENT_TYPE_NAMES).includes('message.sent'));
    assert.deepEqual(suggestEventTypes('zzzz', EVENT_TYPE_NAMES), []);
    assert.ok(suggestEventTypes('user.create', EVENT_TYPE_NAMES).length <= 3);
  });

  it('the 422 message names the suggestion and where the catalog is', () => {
    assert.equal(
      unknownEventTypeMessage('call.end', EVENT_TYPE_NAMES),
      'Unknown event type "call.end". Did you mean "call.ended"? The event types are listed by GET /v1/event-types.',
    );
    const err = validateEventPatterns(['message.received', 'conversation.close'], [...EVENT_TYPE_NAMES]);
    assert.equal(err?.param, '/events/1');
    assert.match(err!.message, /Did you mean "conversation\.closed"/);
    assert.match(unknownEventTypeMessage('qqqqqq', EVENT_TYPE_NAMES), /^Unknown event type "qqqqqq"\. The event types/);
  });

  it('docs/webhooks.md shows exactly the alias table', () => {
    const doc = fs.readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(Object.fromEntries(rows), EVENT_ALIASES);
  });
});
