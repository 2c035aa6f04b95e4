import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import type { Caller } from '../../services/context.ts';
import type { WebhookT } from '../../store/webhooks.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { MAX_HEADERS, validateHeaders, validateUrl, parseAuth, type WebhookAuth } from '../../domain/webhook-rules.ts';
import { html, attr, ICONS, type Html } from '../html.ts';
import { ago, page } from '../layout.ts';
import { WEBHOOK_ROLES, isHtmx, redirect, sendPage, sessionOf, toast } from '../index.ts';
import {
  EVENT_GROUPS,
  FILTER_PATHS,
  emptyValues,
  fieldOf,
  inputFromValues,
  otherSubscriptions,
  pickerValues,
  valuesFromBody,
  valuesOf,
  withSecrets,
  type FormBody,
  type FormValues,
} from '../webhook-form.ts';

type Overview = Awaited<ReturnType<Platform['services']['webhookOverview']['endpoint']>>;
type Errors = Record<string, string>;

const TOASTS: Record<string, string> = { created: 'Webhook created', updated: 'Webhook updated' };

// ------------------------------------------------------------------------------------------------
// List
// ------------------------------------------------------------------------------------------------

function eventsLabel(events: string[]): string {
  if (events.includes('*')) return 'All events';
  return `${events.length} selected`;
}

function statusPill(wh: WebhookT, reason: string | null): Html {
  if (wh.status === 'active') return html`<span class="pill pill-active">Active</span>`;
  if (wh.status === 'inactive') return html`<span class="pill pill-inactive" title="Disabled by a member">Inactive</span>`;
  const why = reason ?? 'Disabled by the failure rule.';
  return html`<span class="pill pill-failed" title="${why}" tabindex="0" aria-label="Failed: ${why}">Failed</span>`;
}

function lastDelivery(o: Overview): Html {
  if (!o.last) return html`<span class="muted">No deliveries yet</span>`;
  const a = o.last.attempt;
  if (!a) return html`${ago(o.last.created_at)} · <span class="muted">pending</span>`;
  const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
  return html`${ago(a.at)} · <span class="${ok ? 'ok' : 'bad'}">${a.status_code ?? a.error ?? 'error'}</span>`;
}

export function webhookRow(wh: WebhookT, o: Overview): Html {
  const id = wh.id;
  const active = wh.status === 'active';
  return html`<tr id="row-${id}">
  <td class="url"><a href="/console/webhooks/${id}">${wh.url}</a></td>
  <td class="desc">${wh.description || html`<span class="muted">—</span>`}</td>
  <td>${eventsLabel(wh.events)}</td>
  <td>${statusPill(wh, o.reason)}</td>
  <td class="last">${lastDelivery(o)}</td>
  <td class="actions">
    <details class="menu">
      <summary aria-label="Actions for ${wh.url}" title="Actions">⋮</summary>
      <div class="menu-list" role="menu">
        <a role="menuitem" href="/console/webhooks/${id}/edit">Edit</a>
        ${active
          ? html`<button role="menuitem" type="button" hx-post="/console/webhooks/${id}/disable" hx-target="#row-${id}" hx-swap="outerHTML" hx-confirm="Are you sure you want to disable this webhook?">Disable</button>
        <a role="menuitem" href="/console/webhooks/${id}?status=failed">Failure logs</a>`
          : html`<button role="menuitem" type="button" hx-post="/console/webhooks/${id}/enable" hx-target="#row-${id}" hx-swap="outerHTML">Enable</button>
        ${wh.status === 'failed' ? html`<a role="menuitem" href="/console/webhooks/${id}?status=failed">Failure logs</a>` : ''}`}
        <button role="menuitem" type="button" class="danger" hx-post="/console/webhooks/${id}/delete" hx-target="#webhooks" hx-swap="outerHTML" hx-confirm="delete" data-confirm-kind="delete">Delete</button>
      </div>
    </details>
  </td>
</tr>`;
}

async function listSection(platform: Platform, caller: Caller): Promise<Html> {
  const { services, config } = platform;
  const { data } = await services.webhooks.list(caller, 100);
  const overviews = await Promise.all(data.map((wh) => services.webhookOverview.endpoint(caller, wh)));
  const max = config.maxWebhooksPerCompany;
  const full = data.length >= max;
  const add = full
    ? html`<button type="button" class="primary" disabled aria-describedby="limit-why">+ Add Webhook</button>`
    : html`<a class="button primary" href="/console/webhooks/new">+ Add Webhook</a>`;
  return html`<section id="webhooks">
  <div class="page-head">
    <div>
      <h1>Webhooks</h1>
      <p class="muted">Switchboard sends events to these endpoints, signed, with retries.</p>
    </div>
    ${data.length > 0 ? html`<div class="head-actions">${add}</div>` : ''}
  </div>
  <p class="limit${full ? ' at-limit' : ''}" id="limit-why">${data.length} of ${max} endpoints used${full ? html` — the limit is reached: delete an endpoint to add another (operators raise it with <code>SWITCHBOARD_MAX_WEBHOOKS</code>).` : ''}</p>
  ${data.length === 0
    ? html`<div class="card empty">
    <div class="empty-icon">${ICONS.hook}</div>
    <h2>No webhooks yet</h2>
    <p>Add an endpoint to receive call, message and conversation events as they happen.</p>
    <a class="button primary" href="/console/webhooks/new">Create first webhook</a>
  </div>`
    : html`<div class="table-wrap"><table class="list">
    <thead><tr><th scope="col">URL</th><th scope="col">Description</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col">Last delivery</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>${data.map((wh, i) => webhookRow(wh, overviews[i]!))}</tbody>
  </table></div>`}
</section>`;
}

// ------------------------------------------------------------------------------------------------
// Form
// ------------------------------------------------------------------------------------------------

function err(errors: Errors, field: string): Html {
  const m = errors[field];
  return html`<p class="field-error" id="err-${field}"${m ? '' : html` hidden`}>${m ?? ''}</p>`;
}

function invalidAttr(errors: Errors, field: string): Html {
  return errors[field] ? html` aria-invalid="true" aria-describedby="err-${field}"` : html``;
}

function headerRow(h: FormValues['headers'][number], i: number, errors: Errors): Html {
  return html`<div class="header-row" data-header-row>
  <div class="field">
    <label for="header_key_${i}">Key <span class="req" aria-hidden="true">*</span></label>
    <input id="header_key_${i}" name="header_key" value="${h.key}" required autocomplete="off" class="live"${invalidAttr(errors, `header_key_${i}`)}>
    ${err(errors, `header_key_${i}`)}
  </div>
  <div class="field">
    <label for="header_value_${i}">Value</label>
    <input id="header_value_${i}" name="header_value" value="${h.value}" autocomplete="off"${h.masked ? html` placeholder="•••• (leave blank to keep)"` : ''}${invalidAttr(errors, `header_value_${i}`)}>
    <input type="hidden" name="header_keep" value="${h.masked ? h.orig : ''}">
    ${err(errors, `header_value_${i}`)}
  </div>
  <button type="button" class="icon ghost" data-remove-header aria-label="Remove header ${i + 1}" title="Remove">✕</button>
</div>`;
}

function options<T extends string>(current: T, items: [T, string][]): Html[] {
  return items.map(([v, label]) => html`<option value="${v}"${attr('selected', v === current)}>${label}</option>`);
}

function eventsPanel(v: FormValues, errors: Errors): Html {
  const selected = new Set(v.events);
  const others = otherSubscriptions(v.events);
  return html`<section class="panel events-panel" aria-labelledby="events-title">
  <div class="panel-head">
    <h2 id="events-title">Events</h2>
    <span class="count-badge" id="events-count" aria-live="polite">${v.events.length} selected</span>
  </div>
  ${err(errors, 'events')}
  ${others.length > 0 ? html`<p class="muted small">Also subscribed (kept as is): ${others.map((o, i) => html`${i ? ', ' : ''}<code>${o}</code><input type="hidden" name="events" value="${o}" data-event-extra>`)}</p>` : ''}
  ${EVENT_GROUPS.map((g) => {
    const n = g.types.filter((t) => selected.has(t.type)).length;
    return html`<div class="event-group" data-group="${g.id}">
    <div class="group-head">
      <input type="checkbox" id="group-${g.id}" data-group-toggle aria-label="Select all ${g.title}"${attr('checked', n === g.types.length)}${n > 0 && n < g.types.length ? html` data-indeterminate="true"` : ''}>
      <button type="button" class="group-collapse" aria-expanded="true" aria-controls="group-list-${g.id}">
        <span>${g.title}</span> <span class="muted small" data-group-count>${n}/${g.types.length}</span>
      </button>
    </div>
    <ul class="event-list" id="group-list-${g.id}">
      ${g.types.map(
        (t) => html`<li>
        <input type="checkbox" name="events" value="${t.type}" id="ev-${t.type}"${attr('checked', selected.has(t.type))}>
        <label for="ev-${t.type}"><code>${t.type}</code><span class="muted">${t.description}</span></label>
      </li>`,
      )}
    </ul>
  </div>`;
  })}
</section>`;
}

function filterPickers(v: FormValues, agents: { id: string; name: string }[]): Html {
  const dept = pickerValues(v.filter_json, FILTER_PATHS.department);
  const agent = pickerValues(v.filter_json, FILTER_PATHS.agent);
  const dir = pickerValues(v.filter_json, FILTER_PATHS.direction);
  const chans = pickerValues(v.filter_json, FILTER_PATHS.channel);
  return html`<fieldset class="filters" data-filter-pickers>
  <legend>Filters <span class="muted small">(only events matching every condition are sent)</span></legend>
  <div class="grid2">
    <div class="field">
      <label for="pick-department">Department</label>
      <input id="pick-department" data-filter-path="${FILTER_PATHS.department}" data-filter-kind="list" value="${dept.join(', ')}" placeholder="sales, support">
    </div>
    <div class="field">
      <label for="pick-agent">Agent</label>
      <select id="pick-agent" data-filter-path="${FILTER_PATHS.agent}" data-filter-kind="select">
        <option value="">Any agent</option>
        ${agents.map((a) => html`<option value="${a.id}"${attr('selected', agent.includes(a.id))}>${a.name}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="pick-direction">Direction</label>
      <select id="pick-direction" data-filter-path="${FILTER_PATHS.direction}" data-filter-kind="select">
        ${options(dir[0] ?? '', [['', 'Any direction'], ['inbound', 'Inbound'], ['outbound', 'Outbound']])}
      </select>
    </div>
    <div class="field">
      <span class="label" id="channel-label">Channel</span>
      <div class="checks" role="group" aria-labelledby="channel-label" data-filter-path="${FILTER_PATHS.channel}" data-filter-kind="checks">
        ${(['chat', 'whatsapp', 'phone'] as const).map((c) => html`<label><input type="checkbox" value="${c}"${attr('checked', chans.includes(c))}> ${c}</label>`)}
      </div>
    </div>
  </div>
</fieldset>`;
}

function webhookForm(opts: { wh: WebhookT | null; v: FormValues; errors: Errors; allowHttp: boolean; agents: { id: string; name: string }[] }): Html {
  const { wh, v, errors } = opts;
  const editing = wh !== null;
  const action = editing ? `/console/webhooks/${wh.id}` : '/console/webhooks';
  const keep = editing && v.auth_stored_type !== '' && v.auth_stored_type !== 'none';
  const advancedOpen = ['description', 'retry_schedule', 'timeout_ms', 'ordering', 'body_format', 'max_in_flight', 'rate_limit_per_s', 'failure_threshold', 'filter_json'].some((f) => errors[f]);
  return html`<form id="webhook-form" class="webhook-form" hx-post="${action}" hx-target="this" hx-swap="outerHTML" novalidate
  data-allow-http="${opts.allowHttp ? 'true' : 'false'}"${editing ? html` data-track-changes` : ''}>
  ${errors.form ? html`<p class="form-error" role="alert" id="err-form">${errors.form}</p>` : ''}
  <div class="two-panel">
    <section class="panel" aria-labelledby="details-title">
      <h2 id="details-title">Endpoint details</h2>
      <div class="field">
        <label for="url">Webhook URL <span class="req" aria-hidden="true">*</span><span class="sr-only">(required)</span></label>
        <input id="url" name="url" type="url" value="${v.url}" required placeholder="https://example.com/hooks/switchboard" autocomplete="off" class="live"${invalidAttr(errors, 'url')}>
        ${err(errors, 'url')}
      </div>

      <fieldset class="auth">
        <legend>Authentication</legend>
        <div class="segmented" role="radiogroup" aria-label="Authentication type">
          ${(['none', 'basic', 'api_key'] as const).map(
            (t) => html`<label><input type="radio" name="auth_type" value="${t}" data-auth-type${attr('checked', v.auth_type === t)}> ${t === 'none' ? 'None' : t === 'basic' ? 'Basic' : 'API Key'}</label>`,
          )}
        </div>
        ${err(errors, 'auth_type')}
        <div class="auth-fields" data-auth-for="basic"${v.auth_type === 'basic' ? '' : html` hidden`}>
          <div class="grid2">
            <div class="field">
              <label for="auth_username">Username</label>
              <input id="auth_username" name="auth_username" value="${v.auth_username}" autocomplete="off"${invalidAttr(errors, 'auth_username')}>
              ${err(errors, 'auth_username')}
            </div>
            <div class="field">
              <label for="auth_password">Password</label>
              <input id="auth_password" name="auth_password" type="password" autocomplete="new-password"${keep && v.auth_stored_type === 'basic' ? html` placeholder="•••• leave blank to keep"` : ''}${invalidAttr(errors, 'auth_password')}>
              ${err(errors, 'auth_password')}
            </div>
          </div>
        </div>
        <div class="auth-fields" data-auth-for="api_key"${v.auth_type === 'api_key' ? '' : html` hidden`}>
          <div class="grid3">
            <div class="field">
              <label for="auth_in">Send in</label>
              <select id="auth_in" name="auth_in">${options(v.auth_in, [['header', 'Header'], ['query', 'Query']])}</select>
            </div>
            <div class="field">
              <label for="auth_name">Key name</label>
              <input id="auth_name" name="auth_name" value="${v.auth_name}" placeholder="X-Api-Key" autocomplete="off"${invalidAttr(errors, 'auth_name')}>
              ${err(errors, 'auth_name')}
            </div>
            <div class="field">
              <label for="auth_value">Key value</label>
              <input id="auth_value" name="auth_value" type="password" autocomplete="new-password"${keep && v.auth_stored_type === 'api_key' ? html` placeholder="•••• leave blank to keep"` : ''}${invalidAttr(errors, 'auth_value')}>
              ${err(errors, 'auth_value')}
            </div>
          </div>
        </div>
        <input type="hidden" name="auth_secret_kept" value="${keep ? '1' : '0'}">
        <input type="hidden" name="auth_stored_type" value="${v.auth_stored_type}">
      </fieldset>

      <fieldset class="headers">
        <legend>Additional headers</legend>
        <div id="header-rows" data-max="${MAX_HEADERS}">
          ${v.headers.map((h, i) => headerRow(h, i, errors))}
        </div>
        ${err(errors, 'headers')}
        <button type="button" class="ghost" id="add-header" data-add-header${attr('disabled', v.headers.length >= MAX_HEADERS)}>${v.headers.length >= MAX_HEADERS ? `Maximum of ${MAX_HEADERS} headers reached` : '+ Add Header'}</button>
        <template id="header-template">${headerRow({ key: '', value: '', masked: false, orig: '' }, 0, {})}</template>
      </fieldset>

      <details class="advanced"${attr('open', advancedOpen)}>
        <summary>Advanced</summary>
        <div class="field">
          <label for="description">Description</label>
          <input id="description" name="description" value="${v.description}" maxlength="1024"${invalidAttr(errors, 'description')}>
          ${err(errors, 'description')}
        </div>
        <div class="grid2">
          <div class="field">
            <label for="retry_schedule">Retry schedule (seconds)</label>
            <input id="retry_schedule" name="retry_schedule" value="${v.retry_schedule}" placeholder="3, 30, 300" aria-describedby="retry-help"${invalidAttr(errors, 'retry_schedule')}>
            <p class="help" id="retry-help">Wait before each retry; the first attempt is immediate.</p>
            ${err(errors, 'retry_schedule')}
          </div>
          <div class="field">
            <label for="timeout_ms">Timeout (ms)</label>
            <input id="timeout_ms" name="timeout_ms" inputmode="numeric" value="${v.timeout_ms}"${invalidAttr(errors, 'timeout_ms')}>
            ${err(errors, 'timeout_ms')}
          </div>
          <div class="field">
            <label for="ordering">Ordering</label>
            <select id="ordering" name="ordering">${options(v.ordering, [['none', 'None (fastest)'], ['conversation', 'Per conversation, in sequence']])}</select>
          </div>
          <div class="field">
            <label for="body_format">Body</label>
            <select id="body_format" name="body_format" aria-describedby="body-format-help"${invalidAttr(errors, 'body_format')}>${options(v.body_format, [['envelope', 'Event envelope (JSON)'], ['slack', 'Slack-compatible {"text": …}']])}</select>
            <p class="help" id="body-format-help">Slack-compatible: a one-line summary for a chat incoming webhook; only with the operational events alone.</p>
            ${err(errors, 'body_format')}
          </div>
          <div class="field">
            <label for="max_in_flight">Max in flight</label>
            <input id="max_in_flight" name="max_in_flight" inputmode="numeric" value="${v.max_in_flight}"${invalidAttr(errors, 'max_in_flight')}>
            ${err(errors, 'max_in_flight')}
          </div>
          <div class="field">
            <label for="rate_limit_per_s">Rate limit (per second)</label>
            <input id="rate_limit_per_s" name="rate_limit_per_s" inputmode="numeric" value="${v.rate_limit_per_s}" placeholder="No limit"${invalidAttr(errors, 'rate_limit_per_s')}>
            ${err(errors, 'rate_limit_per_s')}
          </div>
          <div class="field">
            <label for="failure_threshold">Failure threshold</label>
            <input id="failure_threshold" name="failure_threshold" inputmode="numeric" value="${v.failure_threshold}" aria-describedby="threshold-help"${invalidAttr(errors, 'failure_threshold')}>
            <p class="help" id="threshold-help">Deliveries failing in a row before the endpoint is marked Failed.</p>
            ${err(errors, 'failure_threshold')}
          </div>
        </div>
        ${filterPickers(v, opts.agents)}
        <div class="field">
          <label for="filter_json">Filter (JSON)</label>
          <textarea id="filter_json" name="filter_json" rows="5" spellcheck="false" placeholder='{"data.conversation.channel": {"$in": ["whatsapp"]}}'${invalidAttr(errors, 'filter_json')}>${v.filter_json}</textarea>
          ${err(errors, 'filter_json')}
        </div>
      </details>
    </section>
    ${eventsPanel(v, errors)}
  </div>
  <div class="form-actions">
    <a class="button ghost" href="/console/webhooks">Cancel</a>
    <button type="submit" class="primary" id="save"${attr('disabled', editing && Object.keys(errors).length === 0)}>Save Webhook</button>
  </div>
  <div id="live-check" hx-post="/console/webhooks/check" hx-trigger="check delay:300ms" hx-include="#webhook-form" hx-swap="none" hidden></div>
</form>`;
}

function formPage(session: ReturnType<typeof sessionOf>, form: Html, wh: WebhookT | null): Html {
  return page(
    { title: wh ? 'Edit webhook' : 'Add webhook', session, nav: 'webhooks', wide: true },
    html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/console/webhooks">Webhooks</a> / <span>${wh ? 'Edit' : 'Add webhook'}</span></nav>
<h1>${wh ? 'Edit webhook' : 'Add webhook'}</h1>
${form}`,
  );
}

// ------------------------------------------------------------------------------------------------
// Routes
// ------------------------------------------------------------------------------------------------

export function webhookPages(c: FastifyInstance, platform: Platform) {
  const { services, config } = platform;
  const roles = { consoleRoles: WEBHOOK_ROLES };
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);
  const agentsOf = async (request: FastifyRequest) => (await services.agents.list(caller(request), 100)).data.map((a: { id: string; name: string }) => ({ id: a.id, name: a.name }));

  c.get('/webhooks', { config: roles }, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const body = await listSection(platform, caller(request));
    return sendPage(reply, page({ title: 'Webhooks', session: sessionOf(request), nav: 'webhooks', toast: TOASTS[q.toast ?? ''] ?? null }, body));
  });

  c.get('/webhooks/new', { config: roles }, async (request, reply) => {
    const form = webhookForm({ wh: null, v: emptyValues(), errors: {}, allowHttp: config.allowHttp, agents: await agentsOf(request) });
    return sendPage(reply, formPage(sessionOf(request), form, null));
  });

  c.get('/webhooks/:id/edit', { config: roles }, async (request, reply) => {
    const wh = await services.webhooks.get(caller(request), (request.params as { id: string }).id);
    const form = webhookForm({ wh, v: valuesOf(wh), errors: {}, allowHttp: config.allowHttp, agents: await agentsOf(request) });
    return sendPage(reply, formPage(sessionOf(request), form, wh));
  });

  async function save(request: FastifyRequest, reply: FastifyReply, wh: WebhookT | null) {
    const body = (request.body ?? {}) as FormBody;
    const v = valuesFromBody(body, wh !== null);
    const again = async (errors: Errors) => {
      toast(reply, 'Check the highlighted fields.', 'error');
      return sendPage(reply, webhookForm({ wh, v, errors, allowHttp: config.allowHttp, agents: await agentsOf(request) }));
    };
    if (v.url === '') return again({ url: 'The webhook URL is required.' });
    if (v.events.length === 0) return again({ events: 'Select at least one event.' });
    const parsed = inputFromValues(v);
    if ('field' in parsed) return again({ [parsed.field]: parsed.message });
    const input = withSecrets(parsed, body, v);
    try {
      if (wh) await services.webhooks.update(caller(request), wh.id, input);
      else await services.webhooks.create(caller(request), { ...input, url: input.url!, events: input.events! });
    } catch (e) {
      if (e instanceof SwitchboardError && (e.status === 422 || e.code === 'conflict')) return again({ [fieldOf(e.param)]: e.message });
      throw e;
    }
    return redirect(request, reply, `/console/webhooks?toast=${wh ? 'updated' : 'created'}`);
  }

  c.post('/webhooks', { config: roles }, (request, reply) => save(request, reply, null));
  c.post('/webhooks/:id', { config: roles }, async (request, reply) => save(request, reply, await services.webhooks.get(caller(request), (request.params as { id: string }).id)));

  /** Live inline errors while typing: the URL and header rules of the domain, as out-of-band error slots. */
  c.post('/webhooks/check', { config: roles }, async (request, reply) => {
    const v = valuesFromBody((request.body ?? {}) as FormBody, false);
    const slots: Record<string, string> = { url: '' };
    v.headers.forEach((_, i) => (slots[`header_key_${i}`] = ''));
    if (v.url !== '') {
      const u = validateUrl(v.url, config.allowHttp);
      if (u) slots.url = u.message;
    }
    const auth = parseAuth(
      v.auth_type === 'basic' ? { type: 'basic', username: v.auth_username || 'x', password: 'x' } : v.auth_type === 'api_key' ? { type: 'api_key', in: v.auth_in, name: v.auth_name || 'x', value: 'x' } : { type: 'none' },
    );
    const authForRule: WebhookAuth = 'param' in auth ? { type: 'none' } : auth;
    // Each row on its own, then against every earlier row (duplicates), so a row shows only its own problem.
    const pairs = v.headers.map((h) => ({ key: h.key, value: '' }));
    pairs.forEach((row, i) => {
      if (row.key === '') return;
      const alone = validateHeaders([row], authForRule);
      if (alone) {
        slots[`header_key_${i}`] = alone.message;
        return;
      }
      for (let j = 0; j < i; j++) {
        if (pairs[j]!.key === '') continue;
        const e = validateHeaders([pairs[j]!, row], authForRule);
        if (e?.param === '/headers/1/key') {
          slots[`header_key_${i}`] = e.message;
          return;
        }
      }
    });
    return sendPage(
      reply,
      html`${Object.entries(slots).map(([field, m]) => html`<p class="field-error" id="err-${field}" hx-swap-oob="true"${m ? '' : html` hidden`}>${m}</p>`)}`,
    );
  });

  const action = (name: 'disable' | 'enable') =>
    c.post(`/webhooks/:id/${name}`, { config: roles }, async (request, reply) => {
      const cl = caller(request);
      const wh = await services.webhooks[name](cl, (request.params as { id: string }).id);
      toast(reply, name === 'disable' ? 'Webhook disabled' : 'Webhook enabled');
      if (!isHtmx(request)) return reply.redirect(`/console/webhooks`, 303);
      return sendPage(reply, webhookRow(wh, await services.webhookOverview.endpoint(cl, wh)));
    });
  action('disable');
  action('enable');

  c.post('/webhooks/:id/delete', { config: roles }, async (request, reply) => {
    const cl = caller(request);
    await services.webhooks.remove(cl, (request.params as { id: string }).id);
    toast(reply, 'Webhook deleted');
    if (!isHtmx(request)) return reply.redirect(`/console/webhooks`, 303);
    return sendPage(reply, await listSection(platform, cl));
  });
}
