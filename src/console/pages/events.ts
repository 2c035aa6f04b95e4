import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import { EVENT_TYPE_NAMES } from '../../domain/event-types.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { html, attr, highlightMasked, type Html } from '../html.ts';
import { ago, page } from '../layout.ts';
import { WEBHOOK_ROLES, sendPage, sessionOf, toast } from '../index.ts';

const PAGE_SIZE = 25;

/** A datetime-local value (the browser's local time) plus its offset in minutes, as UTC ISO. */
export function localToIso(value: string | undefined, offsetMin: string | undefined, field: string): string | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) throw new SwitchboardError('validation_failed', `Pick a date and time for "${field}".`, `/${field}`);
  const t = Date.parse(`${value.length === 16 ? value + ':00' : value}Z`);
  return new Date(t + (Number(offsetMin ?? 0) || 0) * 60_000).toISOString();
}

interface Envelope {
  id: string;
  type: string;
  created_at: string;
  sequence?: number;
  data: { conversation?: { id?: string } } & Record<string, unknown>;
}

/**
 * The company's events, newest first, searchable by type, conversation and time; each envelope
 * pretty-printed, with "Resend to…" an endpoint (services.deliveries.resend: a real delivery).
 */
export function eventPages(c: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const roles = { consoleRoles: WEBHOOK_ROLES };
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);

  c.get('/events', { config: roles }, async (request, reply) => {
    const cl = caller(request);
    const q = request.query as Record<string, string | undefined>;
    const type = q.type && EVENT_TYPE_NAMES.includes(q.type) ? q.type : '';
    const conversation = (q.conversation_id ?? '').trim();
    const after = localToIso(q.after, q.tz_offset, 'after');
    const before = localToIso(q.before, q.tz_offset, 'before');
    const list = await services.events.list(
      cl,
      { type: type || undefined, conversation_id: conversation || undefined, created_after: after, created_before: before, include_tests: q.tests === '1' },
      PAGE_SIZE,
      q.cursor || undefined,
    );
    const hooks = (await services.webhooks.list(cl, 100)).data;
    const more = new URLSearchParams(Object.entries({ ...q, cursor: list.next_cursor ?? '' }).filter(([, v]) => v) as [string, string][]);
    const rows = list.data.map((e) => ({ e, env: JSON.parse(e.payload) as Envelope }));
    return sendPage(
      reply,
      page(
        { title: 'Events', session: sessionOf(request), nav: 'events', wide: true },
        html`<div class="page-head"><div><h1>Events</h1><p class="muted">Everything Switchboard recorded for your company, newest first. Open an event to see its envelope exactly as delivered.</p></div></div>
<form class="card filter-bar" method="get" action="/console/events" id="event-search">
  <div class="field"><label for="f-type">Type</label><select id="f-type" name="type"><option value="">Any type</option>
    ${EVENT_TYPE_NAMES.map((t) => html`<option value="${t}"${attr('selected', t === type)}>${t}</option>`)}</select></div>
  <div class="field"><label for="f-conv">Conversation id</label><input id="f-conv" name="conversation_id" value="${conversation}" placeholder="conv_…" autocomplete="off"></div>
  <div class="field"><label for="f-after">From (local time)</label><input id="f-after" name="after" type="datetime-local" value="${q.after ?? ''}"></div>
  <div class="field"><label for="f-before">To (local time)</label><input id="f-before" name="before" type="datetime-local" value="${q.before ?? ''}"></div>
  <input type="hidden" name="tz_offset" value="${q.tz_offset ?? '0'}" data-tz-offset>
  <div class="field"><label class="check-inline"><input type="checkbox" name="tests" value="1"${attr('checked', q.tests === '1')}> Test events</label></div>
  <div class="field end"><button type="submit" class="primary">Search</button></div>
</form>
${rows.length === 0
  ? html`<p class="card empty-small muted">No events match.</p>`
  : html`<div class="event-rows">${rows.map(
      ({ e, env }) => html`<details class="card event-row" id="event-${e.id}">
    <summary><code class="etype">${env.type}</code> <code class="small muted">${e.id}</code>
      ${env.data?.conversation?.id ? html`<a class="small" href="/console/conversations/${env.data.conversation.id}">${env.data.conversation.id}</a>` : ''}
      ${env.sequence ? html`<span class="small muted">#${env.sequence}</span>` : ''}
      ${e.target_webhook_id ? html`<span class="pill pill-pending">test</span>` : ''}
      <span class="grow"></span>${ago(env.created_at)}</summary>
    <pre class="json">${highlightMasked(env)}</pre>
    <form class="resend" hx-post="/console/events/${e.id}/resend" hx-target="#resend-${e.id}">
      <label for="resend-to-${e.id}">Resend to…</label>
      <select id="resend-to-${e.id}" name="webhook_id" required>
        ${hooks.map((w) => html`<option value="${w.id}">${w.url}${w.status !== 'active' ? ` (${w.status})` : ''}</option>`)}
      </select>
      <button type="submit" class="ghost"${attr('disabled', hooks.length === 0)}>Resend</button>
      <span id="resend-${e.id}" aria-live="polite"></span>
    </form>
  </details>`,
    )}</div>`}
<nav class="pager" aria-label="Pages">${list.next_cursor ? html`<a class="button ghost" href="/console/events?${more.toString()}">Older events →</a>` : ''}</nav>`,
      ),
    );
  });

  c.post('/events/:id/resend', { config: roles }, async (request, reply) => {
    const webhookId = String((request.body as Record<string, string> | undefined)?.webhook_id ?? '');
    if (!webhookId) throw new SwitchboardError('validation_failed', 'Pick an endpoint to resend to.', '/webhook_id');
    const d = await services.deliveries.resend(caller(request), (request.params as { id: string }).id, webhookId);
    toast(reply, 'Resend queued');
    return sendPage(reply, html`<a href="/console/deliveries/${d.id}">Delivery ${d.id}</a>`);
  });
}
