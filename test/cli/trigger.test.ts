import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, OWNER_KEY, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { cli } from '../helpers/cli.ts';
import { trigger, TRIGGERABLE } from '../../src/cli/trigger.ts';
import { EVENT_TYPES } from '../../src/domain/event-types.ts';

describe('switchboard trigger and events tail', () => {
  let srv: TestServer;
  let receiver: Receiver;
  before(async () => {
    srv = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
    receiver = await startReceiver(() => ({ status: 200 }));
  });
  after(async () => {
    await srv.close();
    await receiver.close();
  });

  it('causes every triggerable catalog type through the API, and a subscribed endpoint receives it', async () => {
    const wh = await srv.api.post('/v1/webhooks', { url: receiver.url, events: ['*'] });
    assert.equal(wh.status, 201, wh.text);
    const target = { api: srv.url, key: OWNER_KEY };
    const operational = EVENT_TYPES.filter((t) => t.operational).map((t) => t.type);
    for (const t of EVENT_TYPES) if (!operational.includes(t.type) && t.type !== 'conversation.setup') assert.ok(TRIGGERABLE.includes(t.type), `${t.type} can be triggered`);
    for (const type of TRIGGERABLE) {
      const lines: string[] = [];
      await trigger(target, type, (l) => lines.push(l));
      const m = new RegExp(`^triggered ${type.replace(/\./g, '\\.')} \\(event (evt_\\w+)\\): created `).exec(lines[0]);
      assert.ok(m, `${type}: ${lines[0]}`);
      const event = await srv.api.get(`/v1/events/${m[1]}`);
      assert.equal(event.body.type, type);
      assert.equal(event.body.test, undefined, 'a real event, not a test event');
      // Delivered like production traffic: wait until the endpoint got it.
      for (let i = 0; i < 200 && !receiver.counts.has(m[1]); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(receiver.counts.has(m[1]), `${type} delivered to the endpoint`);
    }
    await srv.api.delete(`/v1/webhooks/${wh.body.id}`);
  });

  it('explains the types it cannot cause, suggests names for an unknown one, and keeps --webhook for a single test delivery', async () => {
    const env = { SWITCHBOARD_API_URL: srv.url, SWITCHBOARD_API_KEY: OWNER_KEY };
    const failed = cli(['trigger', 'webhook.failed'], env);
    assert.equal(await failed.exited, 2);
    assert.match(failed.err(), /^switchboard: webhook\.failed is an operational event: .* --webhook wh_\.\.\.\n$/);
    const setup = cli(['trigger', 'conversation.setup'], env);
    assert.equal(await setup.exited, 2);
    assert.match(setup.err(), /conversation\.setup is a synchronous call .* --webhook wh_/);
    const typo = cli(['trigger', 'message.recieved'], env);
    assert.equal(await typo.exited, 2);
    assert.match(typo.err(), /Unknown event type "message\.recieved"\. Did you mean "message\.received"/);

    const wh = await srv.api.post('/v1/webhooks', { url: receiver.url, events: ['webhook.failed'] });
    const test = cli(['trigger', 'webhook.failed', '--webhook', wh.body.id], env);
    assert.equal(await test.exited, 0, test.err());
    const m = /^sent a test webhook\.failed to (wh_\w+) \(event (evt_\w+), delivery (dlv_\w+);/.exec(test.out());
    assert.ok(m, test.out());
    const event = await srv.api.get(`/v1/events/${m[2]}`);
    assert.equal(event.body.test, true);
    const missing = cli(['trigger', 'message.received', '--webhook', 'wh_nope'], env);
    assert.equal(await missing.exited, 2);
    assert.match(missing.err(), /^switchboard: 404: /);
    await srv.api.delete(`/v1/webhooks/${wh.body.id}`);
  });

  it('events tail prints the matching events as they happen', async () => {
    const tail = cli(['events', 'tail', '--events', 'message.*', '--api', srv.url, '--key', OWNER_KEY]);
    try {
      await tail.waitFor(/^tailing message\.\* events from /m);
      const run = cli(['trigger', 'message.sent', '--api', srv.url, '--key', OWNER_KEY]);
      assert.equal(await run.exited, 0, run.err());
      const eventId = /\(event (evt_\w+)\)/.exec(run.out())![1];
      await tail.waitFor(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  message\\.sent  ${eventId}$`, 'm'));
      assert.doesNotMatch(tail.out(), /user\.created|conversation\.created/, 'only message.* is printed');
    } finally {
      assert.equal(await tail.stop('SIGINT'), 0);
    }
  });
});
