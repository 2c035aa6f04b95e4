import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startToolReceiver, type ToolReceiver } from '../helpers/tool-receiver.ts';
import { eventually } from '../helpers/webhook-receiver.ts';
import { launchBrowser, screenshot, watchPage } from '../helpers/browser.ts';
import { seedConversation } from '../helpers/console-seed.ts';

const EMAIL = 'owner@example.com';
const PASSWORD = 'owner-password-123';

let s: TestServer;
let receiver: ToolReceiver;
let browser: Browser;
let page: Page;
let problems: string[];
let ids: { conversationId: string; agentId: string };

before(async () => {
  receiver = await startToolReceiver((r) => (r.url === '/setup' ? { status: 200, body: { context: { tier: 'gold' } } } : { status: 200, body: { ok: true, session: { client_data: { seen: 'yes' } } } }));
  s = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
  const m = s.server.platform.services.members;
  await m.add((await m.company('default')).id, { email: EMAIL, name: 'Olive Owner', role: 'owner', password: PASSWORD });
  ids = await seedConversation(s, receiver);
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  problems = watchPage(page);
  await page.goto(s.url + '/console/sign-in');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.waitForURL(/\/console\/overview$/);
});

after(async () => {
  await browser?.close();
  await s?.close();
  await receiver?.close();
});

test('a conversation with a setup call and two tool calls shows all its logs', async () => {
  await page.goto(s.url + '/console/conversations');
  await page.locator(`#conv-${ids.conversationId} a`).click();
  await page.waitForURL(new RegExp(ids.conversationId));
  const logs = page.locator('details.log');
  assert.equal(await logs.count(), 3);
  assert.deepEqual(await logs.evaluateAll((els) => els.map((e) => e.getAttribute('data-log-kind'))), ['tool_call', 'tool_call', 'setup']);
  await logs.first().locator('summary').click();
  await logs.first().locator('.unknown-var', { hasText: 'nobody_knows' }).waitFor();
  await logs.nth(1).locator('summary').click();
  assert.match(await logs.nth(1).innerText(), /"Authorization": "••••"/);
  await page.locator('.bubble.from-user', { hasText: 'Where is <b>my</b> order?' }).waitFor();
  await screenshot(page, 'conversation');
});

test('a tool is created, previewed with an unknown variable highlighted, and sent to a real local receiver', async () => {
  await page.goto(s.url + `/console/agents/${ids.agentId}`);
  await page.getByRole('button', { name: '+ Add tool' }).click();
  await page.locator('#t2_name').waitFor();
  await page.locator('#t2_name').fill('ticket');
  await page.locator('#t2_parameters').fill('{"type":"object","properties":{"title":{"type":"string"}}}');
  await page.locator('#t2_url').fill('https://$host/x');
  await page.getByRole('button', { name: 'Save assistant' }).click();
  await page.locator('#err-tools_2_webhook_url').waitFor();
  await page.locator('#t2_url').fill(receiver.url + '/tickets');
  await page.locator('#t2_body').fill('{"title": "$title", "by": "$agent_name"}');
  await page.getByRole('button', { name: 'Save assistant' }).click();
  await page.locator('.toast', { hasText: 'Assistant saved' }).waitFor();
  const tryForm = page.locator('form[data-try-tool="ticket"]');
  await tryForm.getByLabel('title').fill('Broken printer');
  await tryForm.getByRole('button', { name: 'Preview request' }).click();
  await tryForm.locator('pre mark.unknown-var', { hasText: '$agent_name' }).waitFor();
  const before = receiver.requests.length;
  await tryForm.getByRole('button', { name: 'Send' }).click();
  await tryForm.locator('.try-client-data', { hasText: 'seen' }).waitFor();
  assert.equal(receiver.requests.length, before + 1);
  assert.equal(JSON.parse(receiver.requests.at(-1)!.body).title, 'Broken printer');
  await screenshot(page, 'assistant');
});

test('a key is created and revoked', async () => {
  await page.goto(s.url + '/console/keys');
  await page.getByLabel('Name').fill('CI');
  await page.getByLabel('Role').selectOption('agent');
  await page.getByRole('button', { name: 'Create key' }).click();
  const value = await page.locator('#new-key-value').innerText();
  assert.equal((await s.api.request('GET', '/v1/conversations', undefined, { authorization: `Bearer ${value}` })).status, 200);
  await screenshot(page, 'keys');
  await page.getByRole('button', { name: 'Revoke CI' }).click();
  await page.locator('#confirm-yes').click();
  await page.locator('.toast', { hasText: 'Key revoked' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Revoke CI' }).count(), 0);
  assert.equal((await s.api.request('GET', '/v1/conversations', undefined, { authorization: `Bearer ${value}` })).status, 401);
});

test('events: search and the envelope', async () => {
  await page.goto(s.url + '/console/events?type=conversation.custom_fields.updated');
  assert.equal(await page.locator('details.event-row').count(), 2);
  await page.locator('details.event-row summary .etype').first().click();
  await page.locator('details.event-row pre .j-key', { hasText: '"previous_value"' }).first().waitFor();
  await screenshot(page, 'events');
});

test('the overview chart renders with data points after a delivery run', async () => {
  const hook = await s.api.post('/v1/webhooks', { url: receiver.url + '/hooks', events: ['user.created'] });
  assert.equal(hook.status, 201);
  await s.api.post('/v1/users', { name: 'Ada', phone: '+447700900123' });
  await s.api.post('/v1/users', { name: 'Bo', phone: '+447700900124' });
  await eventually(async () => (await s.api.get(`/v1/webhooks/${hook.body.id}/deliveries?status=succeeded`)).body.data.length === 2, 10_000, 'delivered');
  await page.goto(s.url + '/console/overview?range=1h');
  const bar = page.locator('svg.chart-deliveries rect.bar-succeeded');
  assert.equal(await bar.count(), 1);
  assert.equal(await bar.getAttribute('data-count'), '2');
  assert.ok(Number(await bar.getAttribute('height')) > 0);
  assert.ok((await page.locator('svg.chart-latency circle.point-p50').count()) >= 1);
  await screenshot(page, 'overview');
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('an alert endpoint from the overview in two clicks (paste the URL, press Create) is Slack-compatible', async () => {
  await page.goto(s.url + '/console/overview');
  assert.equal(await page.getByLabel(/Slack-compatible/).isChecked(), true);
  await page.getByLabel('Notification URL').fill(receiver.url + '/alerts');
  await page.getByRole('button', { name: 'Create alert endpoint' }).click();
  await page.waitForURL(/toast=alert/);
  await page.locator('.alert-list a', { hasText: receiver.url + '/alerts' }).waitFor();
  const made = (await s.api.get('/v1/webhooks')).body.data.find((h: { url: string }) => h.url === receiver.url + '/alerts');
  assert.equal(made.body_format, 'slack');
  assert.deepEqual([...made.events].sort(), ['delivery.exhausted', 'webhook.failed', 'webhook.recovered']);
  assert.deepEqual(problems, [], problems.join('\n'));
});
