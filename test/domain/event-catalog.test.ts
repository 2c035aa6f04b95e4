import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_CATALOG, catalogEntry, createEventValidator, exampleEvent } from '../../src/domain/event-catalog.ts';
import { EVENT_TYPES, API_VERSION } from '../../src/domain/event-types.ts';

type Envelope = Record<string, unknown> & { data: Record<string, unknown> };
const validate = createEventValidator();
const clone = (type: string) => structuredClone(catalogEntry(type)!.example) as Envelope;

test('the catalog lists exactly the EVENT_TYPES, in order, with their flags', () => {
  assert.deepEqual(EVENT_CATALOG.map((e) => e.type), EVENT_TYPES.map((t) => t.type));
  for (const [i, e] of EVENT_CATALOG.entries()) {
    assert.equal(e.description, EVENT_TYPES[i].description);
    assert.equal(e.sequenced, EVENT_TYPES[i].sequenced);
    assert.equal(catalogEntry(e.type), e);
  }
  assert.equal(catalogEntry('nope.nothing'), undefined);
});

test('every example is a full envelope that validates against its own schema', () => {
  for (const e of EVENT_CATALOG) {
    const ex = e.example as Envelope;
    assert.equal(ex.type, e.type);
    assert.equal(ex.api_version, API_VERSION);
    assert.match(ex.id as string, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.match(ex.company_id as string, /^cmp_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal('sequence' in ex, e.sequenced, e.type);
    assert.deepEqual(validate(ex), { ok: true }, e.type);
  }
});

test('schemas are plain JSON', () => {
  for (const e of EVENT_CATALOG) assert.deepEqual(JSON.parse(JSON.stringify(e.schema)), e.schema);
});

test('example ids are unique', () => {
  const ids = EVENT_CATALOG.map((e) => (e.example as Envelope).id);
  assert.equal(new Set(ids).size, ids.length);
});

test('sequence: required on sequenced types, forbidden elsewhere', () => {
  const seq = clone('message.received');
  delete seq.sequence;
  assert.equal(validate(seq).ok, false);

  const zero = clone('message.received');
  zero.sequence = 0;
  assert.equal(validate(zero).ok, false);

  for (const type of ['user.created', 'call.disposition', 'conversation.setup', 'delivery.exhausted']) {
    const ex = clone(type);
    ex.sequence = 1;
    const r = validate(ex);
    assert.equal(r.ok, false, type);
  }
});

test('an extra envelope field fails, naming the field', () => {
  const ex = clone('conversation.created');
  ex.extra = true;
  const r = validate(ex);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors, /extra/);
});

test('wrong envelope values fail', () => {
  const cases: [string, (e: Envelope) => void][] = [
    ['id prefix', (e) => (e.id = 'msg_01M7ZFS6WXG4RC0GB3TNMZRA9H')],
    ['company prefix', (e) => (e.company_id = 'acme')],
    ['api_version', (e) => (e.api_version = '2020-01-01')],
    ['created_at format', (e) => (e.created_at = '2026-11-22T05:00:00Z')],
    ['created_at impossible date', (e) => (e.created_at = '2026-02-30T05:00:00.000Z')],
    ['missing data', (e) => delete (e as Record<string, unknown>).data],
  ];
  for (const [name, mutate] of cases) {
    const ex = clone('message.sent');
    mutate(ex);
    assert.equal(validate(ex).ok, false, name);
  }
});

test('a wrong data shape fails', () => {
  const noMessage = clone('message.received');
  delete noMessage.data.message;
  assert.equal(validate(noMessage).ok, false);

  const extraData = clone('tag.applied');
  extraData.data.note = 'x';
  assert.equal(validate(extraData).ok, false);

  const wrongStatus = clone('message.delivered');
  wrongStatus.data.status = 'read';
  assert.equal(validate(wrongStatus).ok, false);

  const badEnd = clone('conversation.ended');
  badEnd.data.status = 'hung-up';
  assert.equal(validate(badEnd).ok, false);

  const badLeg = clone('call.answered');
  badLeg.data.leg = { role: 'bot', number: null, agent: null };
  assert.equal(validate(badLeg).ok, false);

  const badAttempts = clone('delivery.exhausted');
  (badAttempts.data.delivery as Record<string, unknown>).attempts = 1.5;
  assert.equal(validate(badAttempts).ok, false);

  // Another type's data under this type's name.
  const swapped = clone('user.created');
  swapped.data = clone('message.sent').data;
  assert.equal(validate(swapped).ok, false);
});

test('custom field values may be any JSON, previous_value is required', () => {
  const ex = clone('conversation.custom_fields.updated');
  ex.data.value = { nested: [1, 'two', null] };
  ex.data.previous_value = 42;
  assert.deepEqual(validate(ex), { ok: true });
  delete ex.data.previous_value;
  assert.equal(validate(ex).ok, false);
});

test('unknown types and non-objects fail', () => {
  const ex = clone('user.created');
  ex.type = 'user.exploded';
  assert.equal(validate(ex).ok, false);
  assert.equal(validate(null).ok, false);
  assert.equal(validate([]).ok, false);
  assert.equal(validate('evt').ok, false);
});

test('exampleEvent replaces id, company_id and created_at on a fresh copy', () => {
  const overrides = { id: 'evt_01M80ZZZZZ0000000000000000', company_id: 'cmp_01M80ZZZZZ1111111111111111', created_at: '2026-12-01T10:00:00.000Z' };
  const ev = exampleEvent('call.summary', overrides) as Envelope;
  assert.equal(ev.id, overrides.id);
  assert.equal(ev.company_id, overrides.company_id);
  assert.equal(ev.created_at, overrides.created_at);
  const original = catalogEntry('call.summary')!.example as Envelope;
  assert.deepEqual(ev.data, original.data);
  assert.equal(ev.sequence, original.sequence);
  assert.notEqual(ev.id, original.id);
  assert.deepEqual(validate(ev), { ok: true });
  ev.data.tag = 'mutated';
  assert.equal((catalogEntry('call.summary')!.example as Envelope).data.tag, undefined);

  const user = exampleEvent('user.updated', overrides) as Envelope;
  assert.equal('sequence' in user, false);
  assert.throws(() => exampleEvent('nope', overrides));
});

test('catalog entries are frozen', () => {
  const ex = catalogEntry('message.sent')!.example as Envelope;
  assert.throws(() => {
    ex.id = 'x';
  });
});
