import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesEventType, matchesFilter, validateEventPatterns, validateFilter } from '../../src/domain/event-filter.ts';
import { EVENT_TYPES } from '../../src/domain/event-types.ts';

const catalog = EVENT_TYPES.map((t) => t.type);

test('matchesEventType', () => {
  const cases: [string[], string, boolean][] = [
    [['message.received'], 'message.received', true],
    [['message.received'], 'message.sent', false],
    [['message.*'], 'message.sent', true],
    [['message.*'], 'messages.sent', false],
    [['message.*'], 'message', false],
    [['conversation.*'], 'conversation.custom_fields.updated', true],
    [['conversation.custom_fields.*'], 'conversation.custom_fields.updated', true],
    [['conversation.custom_fields.*'], 'conversation.created', false],
    [['*'], 'call.summary', true],
    [['*'], 'webhook.failed', true],
    [[], 'message.sent', false],
    [['user.created', 'tag.*'], 'tag.removed', true],
    // conversation.setup is synchronous: only its exact name subscribes to it.
    [['*'], 'conversation.setup', false],
    [['conversation.*'], 'conversation.setup', false],
    [['*', 'conversation.*'], 'conversation.setup', false],
    [['conversation.setup'], 'conversation.setup', true],
    [['*', 'conversation.setup'], 'conversation.setup', true],
  ];
  for (const [patterns, type, want] of cases) {
    assert.equal(matchesEventType(patterns, type), want, `${JSON.stringify(patterns)} ~ ${type}`);
  }
});

test('validateEventPatterns', () => {
  const cases: [unknown, string | null][] = [
    [['message.received'], null],
    [['*'], null],
    [['conversation.*', 'message.received', 'conversation.setup'], null],
    [['conversation.custom_fields.*'], null],
    [['call.*', 'webhook.*', 'delivery.*'], null],
    [[], '/events'],
    ['message.received', '/events'],
    [null, '/events'],
    [Array.from({ length: 51 }, () => 'message.sent'), '/events'],
    [Array.from({ length: 50 }, () => 'message.sent'), null],
    [['message.received', 'message.nope'], '/events/1'],
    [['message.received', 'user.created', 'nope.*'], '/events/2'],
    [['message.received', 42], '/events/1'],
    [[''], '/events/0'],
    [['.*'], '/events/0'],
    [['message.*.x'], '/events/0'],
    [['conversation.setup.*'], '/events/0'],
    [['mess*'], '/events/0'],
  ];
  for (const [input, param] of cases) {
    const err = validateEventPatterns(input, catalog);
    assert.equal(err?.param ?? null, param, JSON.stringify(input));
    if (err) assert.ok(err.message.length > 0);
  }
});

test('validateFilter', () => {
  const cases: [unknown, string | null][] = [
    [{}, null],
    [{ type: 'message.received' }, null],
    [{ 'data.conversation.department': { $in: ['sales', 'support'] } }, null],
    [{ 'data.conversation.department': { $nin: [] } }, null],
    [{ 'data.user.vip': { $exists: true } }, null],
    [{ 'data.x': { $eq: { a: [1, 2] } }, 'data.y': { $ne: null } }, null],
    [{ 'data.x': { plain: 'object literal' } }, null],
    [{ 'data.x': [1, 2, 3] }, null],
    [{ 'data.custom-field_1': null }, null],
    [null, '/filter'],
    [[], '/filter'],
    ['type', '/filter'],
    [Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 1])), '/filter'],
    [Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 1])), null],
    [{ '': 1 }, '/filter/'],
    [{ 'data..x': 1 }, '/filter/data..x'],
    [{ '.data': 1 }, '/filter/.data'],
    [{ 'data.': 1 }, '/filter/data.'],
    [{ 'data x': 1 }, '/filter/data x'],
    [{ 'a/b': 1 }, '/filter/a~1b'],
    [{ 'data.conversation.department': { $regex: 'x' } }, '/filter/data.conversation.department'],
    [{ 'data.x': { $eq: 1, $ne: 2 } }, '/filter/data.x'],
    [{ 'data.x': { $eq: 1, other: 2 } }, '/filter/data.x'],
    [{ 'data.x': { $in: 'sales' } }, '/filter/data.x'],
    [{ 'data.x': { $nin: { a: 1 } } }, '/filter/data.x'],
    [{ 'data.x': { $in: Array.from({ length: 101 }, (_, i) => i) } }, '/filter/data.x'],
    [{ 'data.x': { $in: Array.from({ length: 100 }, (_, i) => i) } }, null],
    [{ 'data.x': { $exists: 'yes' } }, '/filter/data.x'],
    [{ ok: 1, 'data.x': { $exists: 1 } }, '/filter/data.x'],
  ];
  for (const [input, param] of cases) {
    const err = validateFilter(input);
    assert.equal(err?.param ?? null, param, JSON.stringify(input));
    if (err) assert.ok(err.message.length > 0);
  }
});

test('matchesFilter', () => {
  const envelope = {
    id: 'evt_1',
    type: 'message.received',
    sequence: 7,
    data: {
      conversation: { id: 'conv_1', department: 'sales', priority: null, tags: ['a', 'b'], meta: { x: 1, y: [1, { z: 2 }] } },
      message: { id: 'msg_1', body: 'hi' },
    },
  };
  const cases: [Record<string, unknown>, boolean][] = [
    [{}, true],
    // literals
    [{ type: 'message.received' }, true],
    [{ type: 'message.sent' }, false],
    [{ sequence: 7 }, true],
    [{ sequence: '7' }, false],
    [{ 'data.conversation.department': 'sales' }, true],
    [{ 'data.conversation.priority': null }, true],
    [{ 'data.conversation.tags': ['a', 'b'] }, true],
    [{ 'data.conversation.tags': ['b', 'a'] }, false],
    [{ 'data.conversation.meta': { y: [1, { z: 2 }], x: 1 } }, true],
    [{ 'data.conversation.meta': { x: 1 } }, false],
    [{ 'data.conversation.tags.0': 'a' }, true],
    [{ 'data.conversation.meta.y.1.z': 2 }, true],
    [{ 'data.missing': null }, false],
    [{ 'data.conversation.department.length': 5 }, false],
    [{ 'data.conversation.tags.length': 2 }, false],
    // $eq / $ne
    [{ 'data.conversation.department': { $eq: 'sales' } }, true],
    [{ 'data.conversation.department': { $eq: 'support' } }, false],
    [{ 'data.conversation.meta': { $eq: { x: 1, y: [1, { z: 2 }] } } }, true],
    [{ 'data.missing': { $eq: null } }, false],
    [{ 'data.conversation.department': { $ne: 'support' } }, true],
    [{ 'data.conversation.department': { $ne: 'sales' } }, false],
    [{ 'data.missing': { $ne: 'sales' } }, true],
    // $in / $nin
    [{ 'data.conversation.department': { $in: ['sales', 'support'] } }, true],
    [{ 'data.conversation.department': { $in: ['support'] } }, false],
    [{ 'data.conversation.department': { $in: [] } }, false],
    [{ 'data.missing': { $in: ['sales', null] } }, false],
    [{ 'data.conversation.tags': { $in: [['a', 'b']] } }, true],
    [{ 'data.conversation.department': { $nin: ['support'] } }, true],
    [{ 'data.conversation.department': { $nin: ['sales'] } }, false],
    [{ 'data.missing': { $nin: ['sales'] } }, true],
    // $exists
    [{ 'data.message': { $exists: true } }, true],
    [{ 'data.conversation.priority': { $exists: true } }, true],
    [{ 'data.user': { $exists: true } }, false],
    [{ 'data.user': { $exists: false } }, true],
    [{ 'data.message': { $exists: false } }, false],
    // all must hold
    [{ type: 'message.received', 'data.conversation.department': { $in: ['sales'] } }, true],
    [{ type: 'message.received', 'data.conversation.department': { $in: ['support'] } }, false],
  ];
  for (const [filter, want] of cases) {
    assert.equal(validateFilter(filter), null, `valid: ${JSON.stringify(filter)}`);
    assert.equal(matchesFilter(filter, envelope), want, JSON.stringify(filter));
  }
});

test('matchesFilter never reads inherited properties', () => {
  assert.equal(matchesFilter({ 'data.constructor': { $exists: true } }, { data: {} }), false);
  assert.equal(matchesFilter({ 'data.toString': { $exists: false } }, { data: {} }), true);
  assert.equal(matchesFilter({ 'data.x': 1 }, null), false);
  assert.equal(matchesFilter({ 'data.x': { $ne: 1 } }, 'not an object'), true);
});
