import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import type { ConversationT, MessageT } from '../../domain/schemas.ts';
import type { ConversationLog } from '../../store/conversation-logs.ts';
import { html, attr, bodyView, highlightJson, highlightMasked, type Html } from '../html.ts';
import { ago, canManageWebhooks, page } from '../layout.ts';
import { sendPage, sessionOf } from '../index.ts';
import { localToIso } from './events.ts';

const PAGE_SIZE = 25;
const STATUSES = ['setup', 'open', 'closed', 'ended'];
const CHANNELS = ['chat', 'whatsapp', 'phone'];
const DIRECTIONS = ['inbound', 'outbound'];
// One conversation page shows up to this many of each (a conversation beyond it links to the API).
const MAX_ITEMS = 500;

interface Envelope {
  id: string;
  type: string;
  created_at: string;
  sequence?: number;
  data: Record<string, unknown>;
}

function pick(value: string | undefined, allowed: string[]): string {
  return value && allowed.includes(value) ? value : '';
}

function statusPill(status: string): Html {
  const kind = status === 'open' ? 'active' : status === 'setup' ? 'pending' : 'inactive';
  return html`<span class="pill pill-${kind}">${status}</span>`;
}

function httpCode(code: number | null, error: string | null): Html {
  if (code === null) return html`<span class="bad">${error ? 'error' : '—'}</span>`;
  return html`<span class="${code >= 200 && code < 300 ? 'ok' : 'bad'}">${code}</span>`;
}

function transcript(messages: MessageT[]): Html {
  if (messages.length === 0) return html`<p class="muted">No messages.</p>`;
  return html`<ol class="transcript">${messages.map(
    (m) => html`<li class="bubble ${m.direction === 'inbound' ? 'from-user' : 'from-us'}">
    <div class="bubble-text">${m.text ?? ''}${m.images.map((u) => html`<br><a href="${u}" rel="noopener noreferrer">${u}</a>`)}${m.template ? html`<pre class="json">${highlightJson(m.template)}</pre>` : ''}</div>
    <div class="bubble-meta">${m.direction === 'inbound' ? 'User' : 'Assistant / agent'} · ${ago(m.created_at)} · ${m.status}${m.error ? html` · <span class="bad">${m.error}</span>` : ''}</div>
  </li>`,
  )}</ol>`;
}

function logView(log: ConversationLog): Html {
  const title = log.kind === 'setup' ? 'Setup call' : `Tool call: ${log.name ?? ''}`;
  return html`<details class="card log" id="log-${log.id}" data-log-kind="${log.kind}">
  <summary><strong>${title}</strong> ${httpCode(log.status_code, log.error)} <span class="muted">${log.duration_ms} ms</span>
    ${log.unknown_variables.length ? html`<span class="pill pill-pending">${log.unknown_variables.length} unknown variable${log.unknown_variables.length > 1 ? 's' : ''}</span>` : ''}
    ${log.error ? html`<span class="pill pill-failed">error</span>` : ''}<span class="grow"></span>${ago(log.created_at)}</summary>
  ${log.error ? html`<p class="form-error">${log.error}</p>` : ''}
  <h4>Request as sent (secrets masked)</h4>
  <p><code>${log.request.method} ${log.request.url}</code></p>
  <pre class="json">${highlightJson({ headers: log.request.headers, body: log.request.body })}</pre>
  <h4>Response body</h4>
  <pre class="json">${bodyView(log.response_body)}</pre>
  <div class="grid2">
    <div><h4>Variables used</h4><pre class="json">${highlightJson(log.variables)}</pre></div>
    <div><h4>Unknown variables</h4>${log.unknown_variables.length ? html`<ul class="unknown-vars">${log.unknown_variables.map((v) => html`<li><code class="unknown-var">${v}</code></li>`)}</ul>` : html`<p class="muted small">None</p>`}</div>
  </div>
</details>`;
}

/**
 * Conversations: a filtered list, and one conversation's whole story (transcript, events with
 * their deliveries, custom field history, data, the agent configuration it ran with, session logs).
 */
export function conversationPages(c: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);

  c.get('/conversations', async (request, reply) => {
    const cl = caller(request);
    const q = request.query as Record<string, string | undefined>;
    const filter = {
      status: pick(q.status, STATUSES) || undefined,
      channel: pick(q.channel, CHANNELS) || undefined,
      direction: pick(q.direction, DIRECTIONS) || undefined,
      user_id: q.user_id?.trim() || undefined,
      agent_id: q.agent_id?.trim() || undefined,
      created_after: localToIso(q.after, q.tz_offset, 'after'),
      created_before: localToIso(q.before, q.tz_offset, 'before'),
    };
    const list = await services.conversations.list(cl, filter, PAGE_SIZE, q.cursor || undefined);
    const agents = canManageWebhooks(sessionOf(request)) ? (await services.agents.list(cl, 100)).data : [];
    const more = new URLSearchParams(Object.entries({ ...q, cursor: list.next_cursor ?? '' }).filter(([, v]) => v) as [string, string][]);
    const select = (name: string, label: string, values: string[], current: string) =>
      html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">Any</option>${values.map((v) => html`<option value="${v}"${attr('selected', v === current)}>${v}</option>`)}</select></div>`;
    return sendPage(
      reply,
      page(
        { title: 'Conversations', session: sessionOf(request), nav: 'conversations', wide: true },
        html`<div class="page-head"><div><h1>Conversations</h1><p class="muted">Chats, WhatsApp threads and calls, newest first. Open one for its transcript, events and session logs.</p></div></div>
<form class="card filter-bar" method="get" action="/console/conversations" id="conversation-search">
  ${select('status', 'Status', STATUSES, filter.status ?? '')}
  ${select('channel', 'Channel', CHANNELS, filter.channel ?? '')}
  ${select('direction', 'Direction', DIRECTIONS, filter.direction ?? '')}
  <div class="field"><label for="f-user">User id</label><input id="f-user" name="user_id" value="${filter.user_id ?? ''}" placeholder="usr_…" autocomplete="off"></div>
  <div class="field"><label for="f-agent">Agent</label>${agents.length
    ? html`<select id="f-agent" name="agent_id"><option value="">Any</option>${agents.map((a) => html`<option value="${a.id}"${attr('selected', a.id === filter.agent_id)}>${a.name}</option>`)}</select>`
    : html`<input id="f-agent" name="agent_id" value="${filter.agent_id ?? ''}" placeholder="agt_…" autocomplete="off">`}</div>
  <div class="field"><label for="f-after">From (local time)</label><input id="f-after" name="after" type="datetime-local" value="${q.after ?? ''}"></div>
  <div class="field"><label for="f-before">To (local time)</label><input id="f-before" name="before" type="datetime-local" value="${q.before ?? ''}"></div>
  <input type="hidden" name="tz_offset" value="${q.tz_offset ?? '0'}" data-tz-offset>
  <div class="field end"><button type="submit" class="primary">Filter</button></div>
</form>
${list.data.length === 0
  ? html`<p class="card empty-small muted">No conversations match.</p>`
  : html`<div class="table-wrap"><table class="list conversations">
  <thead><tr><th scope="col">Conversation</th><th scope="col">Channel</th><th scope="col">Direction</th><th scope="col">Status</th><th scope="col">User</th><th scope="col">Agent</th><th scope="col">Started</th></tr></thead>
  <tbody>${list.data.map(
    (cv: ConversationT) => html`<tr id="conv-${cv.id}">
    <td><a href="/console/conversations/${cv.id}"><code>${cv.id}</code></a></td>
    <td>${cv.channel}</td><td>${cv.direction}</td><td>${statusPill(cv.status)}</td>
    <td>${cv.user_id ? html`<code class="small">${cv.user_id}</code>` : html`<span class="muted">—</span>`}</td>
    <td>${cv.agent_id ? html`<code class="small">${cv.agent_id}</code>` : html`<span class="muted">—</span>`}</td>
    <td>${ago(cv.created_at)}</td>
  </tr>`,
  )}</tbody></table></div>`}
<nav class="pager" aria-label="Pages">${list.next_cursor ? html`<a class="button ghost" href="/console/conversations?${more.toString()}">Older conversations →</a>` : ''}</nav>`,
      ),
    );
  });

  c.get('/conversations/:id', async (request, reply) => {
    const cl = caller(request);
    const s = sessionOf(request);
    const id = (request.params as { id: string }).id;
    const cv = await services.conversations.get(cl, id);
    const [messages, logs, events] = await Promise.all([
      services.messages.listForConversation(cl, id, MAX_ITEMS),
      services.toolCalls.logs(cl, id, MAX_ITEMS),
      services.events.list(cl, { conversation_id: id }, MAX_ITEMS),
    ]);
    // Events in sequence order (the list is newest first); logs newest first (the service gives oldest first).
    const envs = events.data.map((e) => JSON.parse(e.payload) as Envelope).reverse();
    const showDeliveries = canManageWebhooks(s);
    const deliveries = showDeliveries ? await services.webhookOverview.eventDeliveries(cl, envs.map((e) => e.id)) : new Map();
    const fieldHistory = envs.filter((e) => e.type === 'conversation.custom_fields.updated');
    const newestLogs = [...logs.data].reverse();
    return sendPage(
      reply,
      page(
        { title: `Conversation ${cv.id}`, session: s, nav: 'conversations', wide: true },
        html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/console/conversations">Conversations</a> / <span>${cv.id}</span></nav>
<div class="page-head"><div>
  <h1><code>${cv.id}</code></h1>
  <p class="muted">${cv.channel} · ${cv.direction} · ${statusPill(cv.status)}${cv.end_status ? ` (${cv.end_status})` : ''} · started ${ago(cv.created_at)}
    ${cv.user_id ? html` · user <code>${cv.user_id}</code>` : ''}${cv.agent_id ? html` · agent ${showDeliveries ? html`<a href="/console/agents/${cv.agent_id}"><code>${cv.agent_id}</code></a>` : html`<code>${cv.agent_id}</code>`}` : ''}
    ${cv.assignee ? html` · assigned to <code>${JSON.stringify(cv.assignee)}</code>` : ''}</p>
</div></div>
<div class="conv-grid">
  <div class="conv-main">
    <section class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Session logs <span class="muted small">(${newestLogs.length}, newest first)</span></h2>
      <p class="muted small">The setup call and every tool call: the request as sent (secrets masked), the answer, the variables it used.</p>
      ${newestLogs.length === 0 ? html`<p class="muted">No setup or tool calls.</p>` : html`<div class="logs">${newestLogs.map(logView)}</div>`}
    </section>
    <section class="card" aria-labelledby="transcript-title">
      <h2 id="transcript-title">Messages</h2>
      ${transcript(messages.data)}
    </section>
    <section class="card" aria-labelledby="events-title">
      <h2 id="events-title">Events <span class="muted small">(in sequence order)</span></h2>
      ${envs.length === 0 ? html`<p class="muted">No events.</p>` : html`<ol class="conv-events">${envs.map(
        (e) => html`<li id="cev-${e.id}"><details><summary><span class="muted">#${e.sequence ?? '—'}</span> <code>${e.type}</code> <span class="grow"></span>${ago(e.created_at)}</summary>
        <pre class="json">${highlightMasked(e)}</pre></details>
        ${showDeliveries
          ? html`<ul class="event-deliveries">${(deliveries.get(e.id) ?? []).map(
              (d: { id: string; url: string; status: string; attempts: number; status_code: number | null; error: string | null }) =>
                html`<li><span class="pill pill-${d.status === 'succeeded' ? 'active' : d.status === 'failed' ? 'failed' : 'pending'}">${d.status}</span> <a href="/console/deliveries/${d.id}">${d.url}</a> ${httpCode(d.status_code, d.error)} <span class="muted small">${d.attempts} attempt${d.attempts === 1 ? '' : 's'}</span></li>`,
            )}${(deliveries.get(e.id) ?? []).length === 0 ? html`<li class="muted small">No deliveries</li>` : ''}</ul>`
          : ''}</li>`,
      )}</ol>`}
    </section>
  </div>
  <div class="conv-side">
    <section class="card" aria-labelledby="fields-title">
      <h2 id="fields-title">Custom fields</h2>
      <pre class="json">${highlightJson(cv.custom_fields)}</pre>
      <h4>History</h4>
      ${fieldHistory.length === 0 ? html`<p class="muted small">No changes.</p>` : html`<table class="kv field-history">${fieldHistory.map(
        (e) => html`<tr><th scope="row">${String(e.data.key)}</th><td>${JSON.stringify(e.data.previous_value ?? null)} → ${JSON.stringify(e.data.value ?? null)} <span class="muted">${ago(e.created_at)}</span></td></tr>`,
      )}</table>`}
    </section>
    <section class="card" aria-labelledby="cd-title"><h2 id="cd-title">client_data</h2><pre class="json">${highlightMasked(cv.client_data)}</pre></section>
    <section class="card" aria-labelledby="ctx-title"><h2 id="ctx-title">context</h2><pre class="json">${highlightMasked(cv.context)}</pre></section>
    <section class="card" aria-labelledby="cfg-title"><h2 id="cfg-title">Agent configuration</h2><p class="muted small">As merged when the conversation opened (public view: tools by name and origin, secrets masked).</p><pre class="json">${highlightJson(cv.agent_config)}</pre></section>
  </div>
</div>`,
      ),
    );
  });
}
