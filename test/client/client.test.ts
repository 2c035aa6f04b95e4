/**
 * The typed client (`switchboard/client`) against a real server: typed calls, typed errors, and a
 * real delivery verified with verifyWebhook and narrowed on `type`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, verifyWebhook, SwitchboardApiError, WebhookSignatureError, type SwitchboardEvent, type EventOf } from 'switchboard/client';
import { startTestServer, OWNER_KEY, type TestServer } from '../helpers/server.ts';
import { startHookReceiver, type HookReceiver } from '../helpers/webhook-receiver.ts';

describe('typed client', () => {
  let t: TestServer;
  let receiver: HookReceiver;
  before(async () => {
    t = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
    receiver = await startHookReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  it('creates a user and a webhook, and a real delivery verifies into a typed event', async () => {
    const sb = createClient({ baseUrl: t.url, apiKey: OWNER_KEY });
    const webhook = await sb.POST('/v1/webhooks', { body: { url: receiver.url + '/hooks', events: ['user.*'] } });
    assert.match(webhook.id, /^wh_/);
    const { secret } = await sb.GET('/v1/webhooks/{id}/secret', { params: { path: { id: webhook.id } } });
    assert.match(secret, /^whsec_/);

    const user = await sb.POST('/v1/users', { body: { name: 'Ada Lovelace', email: 'ada@example.com' } });
    assert.match(user.id, /^usr_/);
    const got = await sb.GET('/v1/users/{id}', { params: { path: { id: user.id } } });
    assert.equal(got.name, 'Ada Lovelace');
    const page = await sb.GET('/v1/users', { params: { query: { limit: 1 } } });
    assert.equal(page.data[0].id, user.id);

    const [delivery] = await receiver.waitFor(1);
    const event: SwitchboardEvent = verifyWebhook(delivery.body, delivery.headers as Record<string, string>, secret);
    // @ts-expect-error -- before narrowing, `data` is the union of every type's data: not all have a user
    void event.data.user;
    assert.equal(event.type, 'user.created');
    if (event.type !== 'user.created') throw new Error('unreachable');
    // Narrowed: `data.user` exists on user.created and the compiler knows it.
    const created: EventOf<'user.created'> = event;
    assert.equal(created.data.user.id, user.id);
    assert.equal(event.data.user.email, 'ada@example.com');
    assert.equal(event.id, delivery.headers['webhook-id']);

    // A Buffer body and a Headers object work too.
    const again = verifyWebhook(Buffer.from(delivery.body), new Headers(delivery.headers as Record<string, string>), secret);
    assert.equal(again.id, event.id);

    assert.throws(
      () => verifyWebhook(delivery.body, delivery.headers as Record<string, string>, 'whsec_' + Buffer.from('not the secret, 32 bytes long...').toString('base64')),
      (err: unknown) => err instanceof WebhookSignatureError && /does not verify/.test(err.message),
    );
    assert.throws(
      () => verifyWebhook(delivery.body.replace('Ada', 'Eve'), delivery.headers as Record<string, string>, secret),
      WebhookSignatureError,
      'a changed body does not verify',
    );
    const { 'webhook-signature': _s, ...unsigned } = delivery.headers as Record<string, string>;
    assert.throws(() => verifyWebhook(delivery.body, unsigned, secret), /webhook-signature header is missing/);
    assert.throws(() => verifyWebhook(delivery.body, delivery.headers as Record<string, string>, 'sk_wrong'), /whsec_/);
  });

  it('turns error answers into SwitchboardApiError with the contract fields', async () => {
    const sb = createClient({ baseUrl: t.url, apiKey: OWNER_KEY });
    await assert.rejects(
      sb.GET('/v1/users/{id}', { params: { path: { id: 'usr_missing' } } }),
      (err: unknown) => {
        assert.ok(err instanceof SwitchboardApiError);
        assert.equal(err.status, 404);
        assert.equal(err.type, 'not_found');
        assert.equal(err.code, 'resource_not_found');
        return true;
      },
    );
    await assert.rejects(
      sb.POST('/v1/messages', { body: { conversation_id: 'conv_x', direction: 'sideways' as 'inbound' } }),
      (err: unknown) => err instanceof SwitchboardApiError && err.status === 422 && err.code === 'validation_failed' && err.param !== undefined,
    );
    // @ts-expect-error -- the path is checked against the API's paths
    void (() => sb.GET('/v1/no-such-route'));
    // @ts-expect-error -- and so is the body
    void (() => sb.POST('/v1/users', { body: { name: 42 } }));
    const stranger = createClient({ baseUrl: t.url, apiKey: 'sk_not_a_key' });
    await assert.rejects(stranger.GET('/v1/users'), (err: unknown) => err instanceof SwitchboardApiError && err.status === 401 && err.type === 'authentication');
    assert.throws(() => createClient({ baseUrl: '', apiKey: OWNER_KEY }), /baseUrl is required/);
  });

  it('sends headers such as Idempotency-Key, and resolves a 204 to undefined', async () => {
    const sb = createClient({ baseUrl: t.url + '/', apiKey: OWNER_KEY });
    const user = await sb.POST('/v1/users', { body: { name: 'Temp' }, headers: { 'idempotency-key': 'client-test-1' } });
    const replay = await sb.POST('/v1/users', { body: { name: 'Temp' }, headers: { 'idempotency-key': 'client-test-1' } });
    assert.equal(replay.id, user.id, 'the same Idempotency-Key replays the first answer');
    assert.equal(await sb.DELETE('/v1/users/{id}', { params: { path: { id: user.id } } }), undefined);
    await assert.rejects(sb.GET('/v1/users/{id}', { params: { path: { id: user.id } } }), (err: unknown) => err instanceof SwitchboardApiError && err.status === 404);
  });
});
