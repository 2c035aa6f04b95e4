import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import type { WebhookT } from '../../store/webhooks.ts';
import type { DeliveryStatus, DeliveryT } from '../../store/deliveries.ts';
import { EVENT_CATALOG, catalogEntry } from '../../domain/event-catalog.ts';
import { eventTypeInfo } from '../../domain/event-types.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { html, attr, bodyView, highlightJson, highlightMasked, ICONS, type Html } from '../html.ts';
import { ago, page } from '../layout.ts';
import { WEBHOOK_ROLES, isHtmx, sendPage, sessionOf, toast } from '../index.ts';

const STATUSES: (DeliveryStatus | '')[] = ['', 'succeeded', 'failed', 'pending'];
const PAGE_SIZE = 20;
/** Types a test event can be sent as: queued types only (conversation.setup is called, not queued). */
const TEST_TYPES = EVENT_CATALOG.filter((e) => !eventTypeInfo(e.type)?.synchronous);

function statusBadge(status: string): Html {
  return html`<span class="pill pill-${status === 'succeeded' ? 'active' : status === 'failed' ? 'failed' : 'pending'}">${status}</span>`;
}

function codeOf(code: number | null | undefined, error: string | null | undefined): Html {
  if (code === null || code === undefined) return error ? html`<span class="bad" title="${error}">error</span>` : html`<span class="muted">—</span>`;
  return html`<span class="${code >= 200 && code < 300 ? 'ok' : 'bad'}">${code}</span>`;
}

function secretHidden(id: string): Html {
  return html`<div id="secret" class="secret">
  <code class="secret-value" aria-label="Signing secret, hidden">whsec_••••••••••••••••••••</code>
  <button type="button" class="ghost" hx-get="/console/webhooks/${id}/secret" hx-target="#secret" hx-swap="outerHTML">Reveal</button>
  <button type="button" class="ghost" hx-post="/console/webhooks/${id}/secret/rotate" hx-target="#secret" hx-swap="outerHTML"
    hx-confirm="Rotate the signing secret? A new secret signs every delivery from now on. For the next 24 hours each delivery also carries a signature made with the old secret, so receivers keep verifying while you update them; after 24 hours only the new secret works." data-confirm-kind="rotate">Rotate</button>
</div>`;
}

function secretShown(id: string, secret: string): Html {
  return html`<div id="secret" class="secret">
  <code class="secret-value" id="secret-value">${secret}</code>
  <button type="button" class="ghost" data-copy-target="#secret-value">Copy</button>
  <button type="button" class="ghost" hx-get="/console/webhooks/${id}/secret?hide=1" hx-target="#secret" hx-swap="outerHTML">Hide</button>
  <button type="button" class="ghost" hx-post="/console/webhooks/${id}/secret/rotate" hx-target="#secret" hx-swap="outerHTML"
    hx-confirm="Rotate the signing secret? A new secret signs every delivery from now on. For the next 24 hours each delivery also carries a signature made with the old secret, so receivers keep verifying while you update them; after 24 hours only the new secret works." data-confirm-kind="rotate">Rotate</button>
  <details class="snippet" open>
    <summary>Verify in your receiver</summary>
    <pre><code>import { Webhook } from 'standardwebhooks';

const wh = new Webhook('${secret}');
// rawBody: the request body exactly as received, before JSON parsing
const event = wh.verify(rawBody, request.headers); // throws on a bad signature</code></pre>
  </details>
</div>`;
}

function deliveriesTable(wh: WebhookT, rows: { d: DeliveryT | Omit<DeliveryT, 'attempts'>; stats: { count: number; status_code: number | null; error: string | null; duration_ms: number } | undefined }[], status: string, next: string | null): Html {
  const qs = (extra: Record<string, string>) => {
    const p = new URLSearchParams({ ...(status ? { status } : {}), ...extra });
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  return html`<section id="deliveries" aria-labelledby="log-title">
  <div class="section-head">
    <h2 id="log-title">${status === 'failed' ? 'Failure logs' : 'Delivery log'}</h2>
    <nav class="filters-tabs" aria-label="Filter deliveries by status">
      ${STATUSES.map((s) => html`<a href="/console/webhooks/${wh.id}${s ? `?status=${s}` : ''}"${s === status ? html` aria-current="page"` : ''}>${s === '' ? 'All' : s[0]!.toUpperCase() + s.slice(1)}</a>`)}
    </nav>
  </div>
  ${rows.length === 0
    ? html`<p class="card empty-small muted">${status ? `No ${status} deliveries.` : 'No deliveries yet. Send a test event to see one arrive.'}</p>`
    : html`<div class="table-wrap"><table class="list deliveries">
    <thead><tr><th scope="col">Time</th><th scope="col">Event type</th><th scope="col">Event id</th><th scope="col">Status</th><th scope="col">HTTP</th><th scope="col">Attempts</th><th scope="col">Duration</th><th scope="col"><span class="sr-only">Inspect</span></th></tr></thead>
    <tbody>${rows.map(
      ({ d, stats }) => html`<tr>
      <td>${ago(d.created_at)}</td>
      <td><code>${d.event_type}</code></td>
      <td><code class="small">${d.event_id}</code></td>
      <td>${statusBadge(d.status)}</td>
      <td>${codeOf(stats?.status_code, stats?.error)}</td>
      <td>${stats?.count ?? 0}</td>
      <td>${stats ? `${stats.duration_ms} ms` : html`<span class="muted">—</span>`}</td>
      <td><a class="icon-link" href="/console/deliveries/${d.id}" aria-label="Inspect delivery ${d.id}" title="Inspect">${ICONS.eye}</a></td>
    </tr>`,
    )}</tbody>
  </table></div>`}
  <nav class="pager" aria-label="Pages">
    ${next ? html`<a class="button ghost" href="/console/webhooks/${wh.id}${qs({ cursor: next })}">Older deliveries →</a>` : ''}
  </nav>
</section>`;
}

function exampleBox(type: string): Html {
  const entry = catalogEntry(type);
  return html`<div id="example" class="example">
  ${entry ? html`<p class="muted small">${entry.description}</p><pre class="json">${highlightJson(entry.example)}</pre>` : ''}
</div>`;
}

function outcome(d: DeliveryT): Html {
  const last = d.attempts[d.attempts.length - 1];
  const done = d.status !== 'pending';
  return html`<div id="test-outcome" class="outcome"${done ? '' : html` hx-get="/console/deliveries/${d.id}/outcome" hx-trigger="every 700ms" hx-swap="outerHTML"`} aria-live="polite">
  ${done
    ? html`<p>${statusBadge(d.status)} ${last ? html`HTTP ${codeOf(last.status_code, last.error)} in ${last.duration_ms} ms` : ''} · <a href="/console/deliveries/${d.id}">Inspect</a></p>`
    : html`<p><span class="spinner" aria-hidden="true"></span> Sending <code>${d.event_type}</code>… ${last ? html`attempt ${d.attempts.length} answered ${codeOf(last.status_code, last.error)}, retrying` : ''}</p>`}
</div>`;
}

function attemptView(a: DeliveryT['attempts'][number], i: number): Html {
  const headerTable = (h: Record<string, string>) =>
    Object.keys(h).length === 0
      ? html`<p class="muted small">(none)</p>`
      : html`<table class="kv">${Object.entries(h).map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</table>`;
  return html`<article class="attempt card">
  <header class="attempt-head">
    <h3>Attempt ${i + 1}</h3>
    <span>${codeOf(a.status_code, a.error)}</span>
    <span class="muted">${a.duration_ms} ms</span>
    <span class="muted">${ago(a.at)}</span>
  </header>
  ${a.error ? html`<p class="form-error">${a.error}</p>` : ''}
  <div class="grid2">
    <div><h4>Request headers</h4>${headerTable(a.request_headers)}</div>
    <div><h4>Response headers</h4>${headerTable(a.response_headers)}</div>
  </div>
  <h4>Response body</h4>
  <pre class="json">${bodyView(a.response_body)}</pre>
</article>`;
}

export function deliveryPages(c: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const roles = { consoleRoles: WEBHOOK_ROLES };
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  c.get('/webhooks/:id', { config: roles }, async (request, reply) => {
    const cl = caller(request);
    const wh = await services.webhooks.get(cl, idOf(request));
    const q = request.query as Record<string, string | undefined>;
    const status = STATUSES.includes((q.status ?? '') as DeliveryStatus) ? ((q.status ?? '') as DeliveryStatus | '') : '';
    const list = await services.deliveries.list(cl, wh.id, status || undefined, PAGE_SIZE, q.cursor);
    const stats = await services.webhookOverview.attemptStats(list.data.map((d) => d.id));
    const overview = await services.webhookOverview.endpoint(cl, wh);
    const type = TEST_TYPES.some((t) => t.type === 'message.received') ? 'message.received' : TEST_TYPES[0]!.type;
    const defaultSince = new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 16);
    return sendPage(
      reply,
      page(
        { title: wh.url, session: sessionOf(request), nav: 'webhooks', wide: true },
        html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/console/webhooks">Webhooks</a> / <span>Endpoint</span></nav>
<div class="page-head">
  <div>
    <h1 class="url-title">${wh.url}</h1>
    <p class="muted">${wh.description || 'No description'} · ${wh.events.includes('*') ? 'All events' : `${wh.events.length} events`} ·
      ${wh.status === 'active' ? html`<span class="pill pill-active">Active</span>` : wh.status === 'inactive' ? html`<span class="pill pill-inactive">Inactive</span>` : html`<span class="pill pill-failed" title="${overview.reason ?? 'Disabled by the failure rule.'}" tabindex="0">Failed</span>`}</p>
    ${wh.status === 'failed' && overview.reason ? html`<p class="form-error">Failed: ${overview.reason}</p>` : ''}
  </div>
  <div class="head-actions">
    <a class="button ghost" href="/console/webhooks/${wh.id}/edit">Edit</a>
    ${wh.status === 'active'
      ? ''
      : html`<form method="post" action="/console/webhooks/${wh.id}/enable" class="inline"><input type="hidden" name="_csrf" value="${sessionOf(request).csrf}"><button class="primary" type="submit">Enable</button></form>`}
  </div>
</div>
<div class="tools">
  <section class="card" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret</h2>
    <p class="muted small">Every delivery is signed with it (Standard Webhooks). Keep it in your receiver's configuration.</p>
    ${secretHidden(wh.id)}
  </section>
  <section class="card" aria-labelledby="test-title">
    <h2 id="test-title">Send test event</h2>
    <form hx-post="/console/webhooks/${wh.id}/test" hx-target="#test-outcome" hx-swap="outerHTML" class="stack">
      <label for="test-type">Event type</label>
      <select id="test-type" name="type" hx-get="/console/event-types/example" hx-target="#example" hx-swap="outerHTML" hx-trigger="change">
        ${TEST_TYPES.map((t) => html`<option value="${t.type}"${attr('selected', t.type === type)}>${t.type}</option>`)}
      </select>
      <details class="example-wrap"><summary>Example payload</summary>${exampleBox(type)}</details>
      <button type="submit" class="primary"${attr('disabled', wh.status !== 'active')}>Send test event</button>
      ${wh.status !== 'active' ? html`<p class="muted small">Enable the endpoint to send a test event.</p>` : ''}
    </form>
    <div id="test-outcome"></div>
  </section>
  <section class="card" aria-labelledby="recover-title">
    <h2 id="recover-title">Recover</h2>
    <p class="muted small">Re-queue failed deliveries since a time, and send events missed while the endpoint was inactive or failed.</p>
    <form hx-post="/console/webhooks/${wh.id}/recover" hx-target="#recover-result" class="stack">
      <label for="since">Since (your local time)</label>
      <input id="since" name="since" type="datetime-local" value="${defaultSince}" required data-local-time>
      <input type="hidden" name="tz_offset" value="0" data-tz-offset>
      <button type="submit" class="ghost">Recover since</button>
    </form>
    <p id="recover-result" aria-live="polite"></p>
  </section>
</div>
${deliveriesTable(wh, list.data.map((d) => ({ d, stats: stats.get(d.id) })), status, list.next_cursor)}`,
      ),
    );
  });

  c.get('/event-types/example', { config: roles }, async (request, reply) => {
    return sendPage(reply, exampleBox(String((request.query as Record<string, string>).type ?? '')));
  });

  c.get('/webhooks/:id/secret', { config: roles }, async (request, reply) => {
    const id = idOf(request);
    if ((request.query as Record<string, string>).hide) {
      await services.webhooks.get(caller(request), id);
      return sendPage(reply, secretHidden(id));
    }
    const { secret } = await services.webhooks.secret(caller(request), id);
    return sendPage(reply, secretShown(id, secret));
  });

  c.post('/webhooks/:id/secret/rotate', { config: roles }, async (request, reply) => {
    const id = idOf(request);
    const { secret } = await services.webhooks.rotateSecret(caller(request), id);
    toast(reply, 'Secret rotated; the old one keeps signing for 24 hours');
    return sendPage(reply, secretShown(id, secret));
  });

  c.post('/webhooks/:id/test', { config: roles }, async (request, reply) => {
    const type = String((request.body as Record<string, string> | undefined)?.type ?? '');
    const d = await services.deliveries.test(caller(request), idOf(request), type);
    toast(reply, `Test ${type} queued`);
    return sendPage(reply, outcome(d));
  });

  c.get('/deliveries/:id/outcome', { config: roles }, async (request, reply) => {
    const d = await services.deliveries.get(caller(request), idOf(request));
    return sendPage(reply, outcome(d));
  });

  c.post('/webhooks/:id/recover', { config: roles }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    // datetime-local has no zone: the page sends the browser's offset so "since" means its local time.
    const typed = String(body.since ?? '');
    const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(typed) ? Date.parse(`${typed.length === 16 ? typed + ':00' : typed}Z`) : NaN;
    if (Number.isNaN(local)) throw new SwitchboardError('validation_failed', 'Pick a date and time to recover since.', '/since');
    const offsetMin = Number(body.tz_offset ?? 0) || 0;
    const since = new Date(local + offsetMin * 60_000).toISOString();
    const { count } = await services.deliveries.recover(caller(request), idOf(request), since);
    const msg = `${count} ${count === 1 ? 'delivery' : 'deliveries'} re-queued since ${since.replace('T', ' ').slice(0, 16)} UTC`;
    toast(reply, msg);
    return sendPage(reply, html`${msg}.`);
  });

  c.get('/deliveries/:id', { config: roles }, async (request, reply) => {
    const cl = caller(request);
    const d = await services.deliveries.get(cl, idOf(request));
    const payload = await services.webhookOverview.eventPayload(cl, d.event_id);
    const wh = await services.webhooks.get(cl, d.webhook_id);
    return sendPage(
      reply,
      page(
        { title: `Delivery ${d.id}`, session: sessionOf(request), nav: 'webhooks', wide: true },
        html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/console/webhooks">Webhooks</a> / <a href="/console/webhooks/${wh.id}">${wh.url}</a> / <span>Delivery</span></nav>
<div class="page-head">
  <div>
    <h1><code>${d.event_type}</code></h1>
    <p class="muted">Delivery <code>${d.id}</code> · event <code>${d.event_id}</code> · ${statusBadge(d.status)} · created ${ago(d.created_at)}${d.next_attempt_at ? html` · next attempt ${ago(d.next_attempt_at)}` : ''}</p>
  </div>
  <div class="head-actions">
    <button type="button" class="primary" hx-post="/console/deliveries/${d.id}/retry" hx-target="#attempts" hx-swap="outerHTML">Retry now</button>
  </div>
</div>
<div class="inspect">
  <section class="card" aria-labelledby="payload-title">
    <h2 id="payload-title">Event payload</h2>
    <pre class="json">${highlightMasked(payload)}</pre>
  </section>
  ${attemptsSection(d)}
</div>`,
      ),
    );
  });

  function attemptsSection(d: DeliveryT): Html {
    return html`<section id="attempts" aria-labelledby="attempts-title"${d.status === 'pending' ? html` hx-get="/console/deliveries/${d.id}/attempts" hx-trigger="every 1s" hx-swap="outerHTML"` : ''}>
    <h2 id="attempts-title">Attempts <span class="muted small">(${d.attempts.length}, oldest first)</span></h2>
    ${d.attempts.length === 0 ? html`<p class="muted">No attempt yet${d.status === 'pending' ? '; the first one is on its way' : ''}.</p>` : d.attempts.map(attemptView)}
  </section>`;
  }

  c.get('/deliveries/:id/attempts', { config: roles }, async (request, reply) => {
    return sendPage(reply, attemptsSection(await services.deliveries.get(caller(request), idOf(request))));
  });

  c.post('/deliveries/:id/retry', { config: roles }, async (request, reply) => {
    const d = await services.deliveries.retry(caller(request), idOf(request));
    toast(reply, 'Retry queued');
    if (!isHtmx(request)) return reply.redirect(`/console/deliveries/${d.id}`, 303);
    return sendPage(reply, attemptsSection(d));
  });
}
