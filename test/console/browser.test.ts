import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startHookReceiver, eventually, type HookReceiver } from '../helpers/webhook-receiver.ts';
import { launchBrowser, screenshot, watchPage } from '../helpers/browser.ts';

const EMAIL = 'owner@example.com';
const PASSWORD = 'owner-password-123';
// A hostile description and receiver answer: if either is ever rendered as markup, a flag is set.
const XSS_DESCRIPTION = `Orders <script>window.__xss = 'script'</script>"><img src=x onerror="window.__xss='img'">`;
const XSS_ANSWER = JSON.stringify({ ok: false, note: `<script>window.__xss='body'</script>"><img src=x onerror="window.__xss='body-img'">` });

let s: TestServer;
let receiver: HookReceiver;
let browser: Browser;
let page: Page;
let problems: string[];
let failing = false;

before(async () => {
  s = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
  const m = s.server.platform.services.members;
  await m.add((await m.company('default')).id, { email: EMAIL, name: 'Olive Owner', role: 'owner', password: PASSWORD });
  receiver = await startHookReceiver((_req, res) => {
    if (failing) res.writeHead(500, { 'content-type': 'application/json' }).end(XSS_ANSWER);
    else res.writeHead(200, { 'content-type': 'application/json', 'x-receiver': 'test' }).end(XSS_ANSWER.replace('"ok":false', '"ok":true'));
  });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  problems = watchPage(page);
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await s?.close();
});

async function noXss() {
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined, 'no injected script ran');
}

async function toast(text: string | RegExp) {
  await page.locator('.toast', { hasText: text }).first().waitFor({ timeout: 10_000 });
}

async function rowMenu(item: string) {
  await page.locator('details.menu summary').first().click();
  await page.locator('.menu-list [role=menuitem]', { hasText: item }).first().click();
}

async function webhookStatus(id: string): Promise<string> {
  return (await s.api.get(`/v1/webhooks/${id}`)).body.status;
}

let webhookId = '';

test('sign in, see the empty state', async () => {
  await page.goto(s.url + '/');
  await page.waitForURL(/\/console\/sign-in/);
  await screenshot(page, 'sign-in');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  // The overview is the home of owners and admins.
  await page.waitForURL(/\/console\/overview$/);
  await page.goto(s.url + '/console/webhooks');
  await page.getByText('Create first webhook').waitFor();
  assert.match(await page.locator('#limit-why').innerText(), /0 of 10 endpoints used/);
  await screenshot(page, 'webhooks-empty');
});

test('create a webhook with Basic auth, two headers, three events and hostile text', async () => {
  await page.getByText('Create first webhook').click();
  await page.waitForURL(/\/console\/webhooks\/new$/);
  await page.getByLabel('Webhook URL').fill(receiver.url + '/hooks/switchboard');
  await page.getByText('Basic', { exact: true }).click();
  await page.getByLabel('Username').fill('hooks');
  await page.locator('#auth_password').fill('s3cret-basic');

  await page.getByText('+ Add Header').click();
  await page.locator('#header_key_0').fill('X-Team');
  await page.locator('#header_value_0').fill('blue');
  await page.getByText('+ Add Header').click();
  // A duplicate key (ignoring case) is flagged inline while typing, by the API's own rule.
  await page.locator('#header_key_1').fill('x-team');
  await page.locator('#err-header_key_1', { hasText: 'listed twice' }).waitFor();
  await page.locator('#header_key_1').fill('X-Trace');
  await page.locator('#err-header_key_1').waitFor({ state: 'hidden' });
  await page.locator('#header_value_1').fill('on');

  // Events: the group checkbox ticks all and shows indeterminate for some.
  await page.getByLabel('Select all Call events').check();
  assert.match(await page.locator('#events-count').innerText(), /^6 selected$/);
  await page.getByLabel('Select all Call events').uncheck();
  await page.locator('label[for="ev-message.received"]').click();
  assert.equal(await page.getByLabel('Select all WhatsApp / message events').evaluate((e) => (e as HTMLInputElement).indeterminate), true);
  await page.locator('label[for="ev-user.created"]').click();
  await page.locator('label[for="ev-conversation.created"]').click();
  assert.equal(await page.locator('#events-count').innerText(), '3 selected');

  await page.getByText('Advanced', { exact: true }).click();
  await page.getByLabel('Description').fill(XSS_DESCRIPTION);
  await page.getByLabel('Retry schedule (seconds)').fill('0');
  await page.getByLabel('Failure threshold').fill('2');
  await page.getByLabel('Channel').getByLabel('whatsapp').check().catch(() => {});
  // The channel picker writes the filter JSON; clear it again so every event is sent.
  await page.locator('[data-filter-kind=checks] input[value=whatsapp]').check();
  assert.match(await page.locator('#filter_json').inputValue(), /"data.conversation.channel": "whatsapp"/);
  await page.locator('[data-filter-kind=checks] input[value=whatsapp]').uncheck();
  assert.equal(await page.locator('#filter_json').inputValue(), '');
  await screenshot(page, 'webhook-form');

  await page.getByRole('button', { name: 'Save Webhook' }).click();
  await page.waitForURL(/\/console\/webhooks\?toast=created$/);
  await toast('Webhook created');
  const row = page.locator('table.list tbody tr').first();
  await row.locator('.pill-active', { hasText: 'Active' }).waitFor();
  assert.match(await row.innerText(), /3 selected/);
  assert.match(await row.locator('td.desc').innerText(), /<script>window.__xss = 'script'<\/script>/, 'the description shows as text');
  webhookId = (await row.getAttribute('id'))!.replace('row-', '');
  await noXss();
});

test('a delivery arrives with the auth and headers, and its inspect page shows payload and attempt', async () => {
  const user = await s.api.post('/v1/users', { name: 'Ada', phone: '+447700900123' });
  assert.equal(user.status, 201);
  const [req] = await receiver.waitFor(1);
  assert.equal(req!.headers.authorization, 'Basic ' + Buffer.from('hooks:s3cret-basic').toString('base64'));
  assert.equal(req!.headers['x-team'], 'blue');
  assert.equal(req!.headers['x-trace'], 'on');
  await eventually(async () => (await s.api.get(`/v1/webhooks/${webhookId}/deliveries?status=succeeded`)).body.data.length === 1, 10_000, 'delivery recorded');

  await page.goto(s.url + '/console/webhooks');
  assert.match(await page.locator(`#row-${webhookId} td.last`).innerText(), /200/);
  await page.locator(`#row-${webhookId} td.url a`).click();
  await page.waitForURL(new RegExp(`/console/webhooks/${webhookId}$`));
  await page.locator('#deliveries tbody tr', { hasText: 'user.created' }).waitFor();
  await screenshot(page, 'webhook-detail');
  await page.getByRole('link', { name: /Inspect delivery/ }).first().click();
  await page.waitForURL(/\/console\/deliveries\/dlv_/);
  await page.getByText('Attempt 1').waitFor();
  const payload = await page.locator('#payload-title + pre').innerText();
  assert.match(payload, /"type": "user.created"/);
  assert.ok(await page.locator('#payload-title + pre .j-key').count() > 3, 'payload is highlighted');
  const attempt = await page.locator('.attempt').first().innerText();
  assert.match(attempt, /authorization\s+Basic ••••/i, 'credentials masked in the attempt log');
  assert.doesNotMatch(attempt, /s3cret-basic|aG9va3M6czNjcmV0LWJhc2lj/, 'the password never shows');
  assert.match(attempt, /window.__xss='body'/, 'the receiver answer shows as text');
  await screenshot(page, 'delivery-inspect');
  await noXss();

  // Retry now: a second attempt of the same delivery, shown without a reload.
  await page.getByRole('button', { name: 'Retry now' }).click();
  await toast('Retry queued');
  await page.getByText('Attempt 2').waitFor({ timeout: 10_000 });
  assert.equal(receiver.requests.filter((r) => r.headers['webhook-id'] === req!.headers['webhook-id']).length, 2);
});

test('a failing receiver turns the webhook Failed; the failure log lists it; recover brings it back', async () => {
  failing = true;
  await s.api.post('/v1/users', { name: 'Grace' });
  await eventually(async () => (await webhookStatus(webhookId)) === 'failed', 15_000, 'webhook failed');
  await page.goto(s.url + '/console/webhooks');
  const pill = page.locator(`#row-${webhookId} .pill-failed`);
  await pill.waitFor();
  assert.match((await pill.getAttribute('title'))!, /failed attempts within 24 h \(last: HTTP 500\)/);
  await rowMenu('Failure logs');
  await page.waitForURL(/status=failed/);
  await page.getByRole('heading', { name: 'Failure logs' }).waitFor();
  assert.match(await page.locator('#deliveries tbody').innerText(), /user\.created[\s\S]*failed[\s\S]*500/);
  await screenshot(page, 'failure-logs');
  await noXss();

  failing = false;
  await page.getByRole('button', { name: 'Recover since' }).click();
  await toast(/1 delivery re-queued since/);
  assert.match(await page.locator('#recover-result').innerText(), /1 delivery re-queued/);
  await eventually(async () => (await webhookStatus(webhookId)) === 'active', 10_000, 'recovered');
  await eventually(async () => (await s.api.get(`/v1/webhooks/${webhookId}/deliveries?status=succeeded`)).body.data.length === 2, 10_000, 'recovered delivery');
});

test('disable asks first and the row updates in place; enable brings it back', async () => {
  await page.goto(s.url + '/console/webhooks');
  await rowMenu('Disable');
  const dialog = page.locator('#confirm-dialog');
  await dialog.getByText('Are you sure you want to disable this webhook?').waitFor();
  await dialog.getByRole('button', { name: 'Yes' }).click();
  await toast('Webhook disabled');
  await page.locator(`#row-${webhookId} .pill-inactive`).waitFor();
  assert.equal(await webhookStatus(webhookId), 'inactive');
  await page.locator('details.menu summary').first().click();
  const items = await page.locator('.menu-list [role=menuitem]').allInnerTexts();
  assert.deepEqual(items, ['Edit', 'Enable', 'Delete']);
  await page.locator('.menu-list [role=menuitem]', { hasText: 'Enable' }).click();
  await toast('Webhook enabled');
  await page.locator(`#row-${webhookId} .pill-active`).waitFor();
  assert.equal(await webhookStatus(webhookId), 'active');
});

test('send a test event and see its outcome arrive without a reload', async () => {
  await page.goto(s.url + `/console/webhooks/${webhookId}`);
  await page.getByLabel('Event type').selectOption('conversation.created');
  await page.getByText('Example payload').click();
  await page.locator('#example pre', { hasText: '"conversation.created"' }).waitFor();
  await page.getByRole('button', { name: 'Send test event' }).click();
  await page.locator('#test-outcome .pill-active', { hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#test-outcome').innerText(), /HTTP 200/);
});

test('signing secret: hidden, reveal, copy, rotate with the 24 h explanation, snippet filled in', async () => {
  assert.doesNotMatch(await page.locator('#secret').innerText(), /whsec_[A-Za-z0-9+/]{8}/);
  await page.getByRole('button', { name: 'Reveal' }).click();
  const first = await page.locator('#secret-value').innerText();
  assert.match(first, /^whsec_/);
  assert.equal(first, (await s.api.get(`/v1/webhooks/${webhookId}/secret`)).body.secret);
  assert.match(await page.locator('.snippet').innerText(), new RegExp(`new Webhook\\('${first.replace(/[+/]/g, '\\$&')}'\\)`));
  await page.getByRole('button', { name: 'Copy' }).click();
  await toast(/Copied|Selected/);
  await page.getByRole('button', { name: 'Rotate' }).click();
  const dialog = page.locator('#confirm-dialog');
  assert.match(await dialog.locator('#confirm-text').innerText(), /next 24 hours/);
  await dialog.getByRole('button', { name: 'Rotate' }).click();
  await toast(/Secret rotated/);
  const second = await page.locator('#secret-value').innerText();
  assert.notEqual(second, first);
  assert.equal(second, (await s.api.get(`/v1/webhooks/${webhookId}/secret`)).body.secret);
  await screenshot(page, 'webhook-secret-and-test-event');
});

test('edit is pre-filled with secrets masked, Save waits for a change, API errors show at their field', async () => {
  await page.goto(s.url + `/console/webhooks/${webhookId}/edit`);
  assert.equal(await page.getByLabel('Webhook URL').inputValue(), receiver.url + '/hooks/switchboard');
  assert.equal(await page.getByLabel('Username').inputValue(), 'hooks');
  assert.equal(await page.locator('#auth_password').inputValue(), '');
  assert.match((await page.locator('#auth_password').getAttribute('placeholder'))!, /leave blank to keep/);
  assert.equal(await page.locator('[data-header-row]').count(), 2);
  assert.equal(await page.locator('#events-count').innerText(), '3 selected');
  const save = page.getByRole('button', { name: 'Save Webhook' });
  assert.equal(await save.isDisabled(), true);
  await screenshot(page, 'webhook-edit');
  await page.getByText('Advanced', { exact: true }).click();
  // A retry schedule the API refuses: its message lands under the field.
  await page.getByLabel('Retry schedule (seconds)').fill('0, 999999');
  assert.equal(await save.isDisabled(), false);
  await save.click();
  await page.locator('#err-retry_schedule').filter({ hasText: /./ }).waitFor();
  assert.doesNotMatch(await page.locator('#err-retry_schedule').innerText(), /[{}]/, 'a message, not JSON');
  await toast('Check the highlighted fields.');
  await page.getByLabel('Retry schedule (seconds)').fill('0');
  await page.getByLabel('Description').fill('Orders, edited');
  await page.getByRole('button', { name: 'Save Webhook' }).click();
  await page.waitForURL(/toast=updated/);
  await toast('Webhook updated');
  const wh = (await s.api.get(`/v1/webhooks/${webhookId}`)).body;
  assert.equal(wh.description, 'Orders, edited');
  assert.equal(wh.auth.username, 'hooks');
  // The blank password kept the stored one: the next delivery still authenticates.
  const before = receiver.requests.length;
  await s.api.post('/v1/users', { name: 'Linus' });
  const reqs = await receiver.waitFor(before + 1);
  assert.equal(reqs[before]!.headers.authorization, 'Basic ' + Buffer.from('hooks:s3cret-basic').toString('base64'));
});

test('keyboard: the menu opens from the keyboard, Escape closes it and the delete modal', async () => {
  await page.goto(s.url + '/console/webhooks');
  await page.locator('details.menu summary').first().focus();
  await page.keyboard.press('Enter');
  await page.locator('.menu-list [role=menuitem]').first().waitFor();
  // The menu's script moves the focus on its toggle event, a moment after the list shows: wait for it.
  const focused = (text: string) => page.waitForFunction((t) => document.activeElement?.textContent?.trim() === t, text, { timeout: 5000 });
  await focused('Edit');
  await page.keyboard.press('ArrowDown');
  await focused('Disable');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('details.menu[open]').count(), 0);
  await rowMenu('Delete');
  const dialog = page.locator('#delete-dialog');
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await webhookStatus(webhookId), 'active');
  // Every input on the form has a label.
  await page.goto(s.url + '/console/webhooks/new');
  const unlabeled = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => el.closest('template') === null)
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label') && !el.closest('label'))
      .map((el) => el.id || el.getAttribute('name')),
  );
  assert.deepEqual(unlabeled, []);

  // Event groups collapse and expand; at 10 headers the button says it is the maximum.
  const collapse = page.locator('[data-group=call] .group-collapse');
  await collapse.click();
  assert.equal(await collapse.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator('#group-list-call').isHidden(), true);
  await collapse.press('Enter');
  assert.equal(await page.locator('#group-list-call').isVisible(), true);
  for (let i = 0; i < 10; i++) await page.getByRole('button', { name: '+ Add Header' }).click();
  const full = page.locator('#add-header');
  assert.equal(await full.innerText(), 'Maximum of 10 headers reached');
  assert.equal(await full.isDisabled(), true);
  await page.getByRole('button', { name: 'Remove header 10' }).click();
  assert.equal(await page.locator('#add-header').innerText(), '+ Add Header');
  assert.equal(await page.locator('[data-header-row]').count(), 9);
});

test('readable at 375 px: no sideways scrolling on the list and the form', async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  for (const [path, name] of [
    ['/console/webhooks', 'webhooks-mobile'],
    ['/console/webhooks/new', 'webhook-form-mobile'],
  ] as const) {
    await page.goto(s.url + path);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 376 && !e.parentElement?.closest('.table-wrap'))
        .map((e) => `${e.tagName}.${e.className}#${e.id}`)
        .slice(0, 8),
    );
    await screenshot(page, name);
    assert.ok(width <= 376, `${path} is ${width} px wide at 375: ${wide.join(' ')}`);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
});

test('delete needs DELETE typed in uppercase, then the list is empty again', async () => {
  // Two more endpoints so the list screenshot shows every status.
  const crm = await s.api.post('/v1/webhooks', { url: 'https://crm.example.com/switchboard', description: 'CRM sync', events: ['user.created', 'user.updated', 'tag.applied', 'tag.removed'] });
  const old = await s.api.post('/v1/webhooks', { url: 'https://legacy.example.org/hooks/v1', description: 'Old integration', events: ['*'] });
  await s.api.post(`/v1/webhooks/${old.body.id}/disable`);
  await page.goto(s.url + '/console/webhooks');
  await screenshot(page, 'webhooks-list');
  await page.locator(`#row-${webhookId} details.menu summary`).click();
  await page.locator(`#row-${webhookId} .menu-list [role=menuitem]`, { hasText: 'Delete' }).click();
  const dialog = page.locator('#delete-dialog');
  await dialog.getByText('This action permanently deletes the webhook.').waitFor();
  const del = dialog.getByRole('button', { name: 'Delete' });
  assert.equal(await del.isDisabled(), true);
  await dialog.getByLabel(/Type DELETE to confirm/).fill('delete');
  assert.equal(await del.isDisabled(), true, 'lowercase is not enough');
  await dialog.getByLabel(/Type DELETE to confirm/).fill('DELETE');
  assert.equal(await del.isDisabled(), false);
  await del.click();
  await toast('Webhook deleted');
  await page.locator(`#row-${webhookId}`).waitFor({ state: 'detached' });
  assert.equal((await s.api.get(`/v1/webhooks/${webhookId}`)).status, 404);
  assert.match(await page.locator('#limit-why').innerText(), /2 of 10 endpoints used/);
  await s.api.delete(`/v1/webhooks/${crm.body.id}`);
  await s.api.delete(`/v1/webhooks/${old.body.id}`);
  await noXss();
});

test('members: an owner adds a member with a one-time link; the invited agent signs in; sign out', async () => {
  await page.goto(s.url + '/console/members');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Name').fill('Ada <b>Lovelace</b>');
  await page.getByLabel('Role', { exact: true }).selectOption('agent');
  await page.getByRole('button', { name: 'Add member' }).click();
  await toast('Added ada@example.com');
  assert.match(await page.locator('#invite-link').innerText(), /\/console\/invite\//);
  assert.match(await page.locator('#members tbody').innerText(), /Ada <b>Lovelace<\/b>[\s\S]*invited/);
  await screenshot(page, 'members');

  // The pages a newcomer sees, in a browser of their own (signed out): the invitation and the first-run page.
  const link = await page.locator('#invite-link').innerText();
  const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const guest = await other.newPage();
  const guestProblems = watchPage(guest);
  await guest.goto(link);
  await guest.getByRole('heading', { name: 'Choose a password' }).waitFor();
  await screenshot(guest, 'choose-password');
  await guest.getByLabel('New password').fill('ada-chosen-password');
  await guest.getByRole('button', { name: 'Set password' }).click();
  await guest.getByText('Your password is set. Sign in with it.').waitFor();
  await guest.goto(s.url + '/console/setup');
  await screenshot(guest, 'first-run');
  // Ada is an agent: she sees no webhook link, and the webhook pages answer with a 403 page.
  await guest.goto(s.url + '/console/sign-in');
  await guest.getByLabel('Email').fill('ada@example.com');
  await guest.getByLabel('Password').fill('ada-chosen-password');
  await guest.getByRole('button', { name: 'Sign in' }).click();
  await guest.getByRole('heading', { name: /Welcome/ }).waitFor();
  assert.equal(await guest.locator('a[href="/console/webhooks"]').count(), 0);
  await screenshot(guest, 'agent-home');
  assert.deepEqual(guestProblems, []);
  const res = await guest.goto(s.url + '/console/webhooks');
  assert.equal(res?.status(), 403);
  await screenshot(guest, 'not-allowed');
  await other.close();

  // Signing out ends the session: the console asks to sign in again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
  await page.goto(s.url + '/console/webhooks');
  await page.waitForURL(/\/console\/sign-in\?next=/);
});

test('no console error and no failed request on any page', () => {
  assert.deepEqual(problems, []);
});
