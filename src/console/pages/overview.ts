import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import type { Caller } from '../../services/context.ts';
import { RANGES, type ChartPoint, type RangeName } from '../../services/webhook-overview.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { ALERT_EVENT_TYPES } from '../../domain/alert-body.ts';
import { html, raw, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { WEBHOOK_ROLES, redirect, sendPage, sessionOf } from '../index.ts';

/** The operational events an alert endpoint subscribes to. */
export const ALERT_EVENTS: string[] = [...ALERT_EVENT_TYPES];

const W = 720;
const H = 180;
const PAD = { l: 44, r: 8, t: 10, b: 22 };

const n = (x: number) => (Math.round(x * 10) / 10).toString();

// Slices of the ISO string the point already carries: the charts label every bar and point, and
// parsing dates for each was the page's largest cost after the queries.
function label(at: string, range: RangeName): string {
  return range === '7d' ? `${at.slice(5, 10)} ${at.slice(11, 13)}h` : at.slice(11, 16);
}

function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  if (!Number.isFinite(ms)) return '> 30 s';
  return ms >= 1000 ? `≤ ${ms / 1000} s` : `≤ ${ms} ms`;
}

/**
 * Stacked bars of attempts per slot by outcome, drawn here as SVG (presentation attributes and
 * classes only: the CSP forbids inline styles). Every number in it is ours, so the markup is raw.
 */
export function deliveriesSvg(points: ChartPoint[], range: RangeName): Html {
  const max = Math.max(1, ...points.map((p) => p.succeeded + p.retrying + p.failed));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const bw = iw / points.length;
  let out = `<svg class="chart chart-deliveries" viewBox="0 0 ${W} ${H}" role="img" aria-label="Attempts per interval by outcome" preserveAspectRatio="none">`;
  for (const f of [0, 0.5, 1]) {
    const y = PAD.t + ih * (1 - f);
    out += `<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${n(y)}" y2="${n(y)}"/><text class="axis" x="${PAD.l - 4}" y="${n(y + 4)}" text-anchor="end">${Math.round(max * f)}</text>`;
  }
  points.forEach((p, i) => {
    let y = PAD.t + ih;
    const x = PAD.l + i * bw + bw * 0.1;
    for (const k of ['succeeded', 'retrying', 'failed'] as const) {
      if (p[k] === 0) continue;
      const h = (p[k] / max) * ih;
      y -= h;
      out += `<rect class="bar bar-${k}" x="${n(x)}" y="${n(y)}" width="${n(Math.max(1, bw * 0.8))}" height="${n(h)}" data-count="${p[k]}"><title>${label(p.at, range)} · ${p[k]} ${k}</title></rect>`;
    }
  });
  for (const i of [0, Math.floor(points.length / 2), points.length - 1]) {
    out += `<text class="axis" x="${n(PAD.l + i * bw + bw / 2)}" y="${H - 6}" text-anchor="middle">${label(points[i]!.at, range)}</text>`;
  }
  return raw(out + '</svg>');
}

/** p50 and p99 attempt latency per slot as two lines with a point per slot that had attempts. */
export function latencySvg(points: ChartPoint[], range: RangeName): Html {
  const finite = (v: number | null) => (v === null ? null : Number.isFinite(v) ? v : 30_000);
  const max = Math.max(100, ...points.map((p) => finite(p.p99_ms) ?? 0));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const step = iw / Math.max(1, points.length - 1);
  let out = `<svg class="chart chart-latency" viewBox="0 0 ${W} ${H}" role="img" aria-label="p50 and p99 attempt latency" preserveAspectRatio="none">`;
  for (const f of [0, 0.5, 1]) {
    const y = PAD.t + ih * (1 - f);
    out += `<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${n(y)}" y2="${n(y)}"/><text class="axis" x="${PAD.l - 4}" y="${n(y + 4)}" text-anchor="end">${Math.round(max * f)}</text>`;
  }
  for (const [key, cls] of [['p50_ms', 'p50'], ['p99_ms', 'p99']] as const) {
    const pts = points.map((p, i) => ({ i, v: finite(p[key]) })).filter((p) => p.v !== null);
    if (pts.length > 1) out += `<polyline class="line line-${cls}" fill="none" points="${pts.map((p) => `${n(PAD.l + p.i * step)},${n(PAD.t + ih * (1 - p.v! / max))}`).join(' ')}"/>`;
    for (const p of pts) out += `<circle class="point point-${cls}" cx="${n(PAD.l + p.i * step)}" cy="${n(PAD.t + ih * (1 - p.v! / max))}" r="2.5"><title>${label(points[p.i]!.at, range)} · ${cls} ${fmtMs(points[p.i]![key])}</title></circle>`;
  }
  for (const i of [0, Math.floor(points.length / 2), points.length - 1]) {
    out += `<text class="axis" x="${n(PAD.l + i * step)}" y="${H - 6}" text-anchor="middle">${label(points[i]!.at, range)}</text>`;
  }
  return raw(out + '</svg>');
}

function totals(points: ChartPoint[]) {
  return points.reduce((a, p) => ({ succeeded: a.succeeded + p.succeeded, retrying: a.retrying + p.retrying, failed: a.failed + p.failed }), { succeeded: 0, retrying: 0, failed: 0 });
}

/**
 * The console's home for owners and admins: deliveries by outcome and attempt latency over the
 * last hour, day or week (company-wide or one endpoint), the endpoints failing most, a banner per
 * Failed endpoint, and the two-click alert endpoint.
 */
export async function overviewBody(platform: Platform, cl: Caller, csrf: string, q: Record<string, string | undefined>): Promise<Html> {
  const { services } = platform;
  const range: RangeName = q.range && q.range in RANGES ? (q.range as RangeName) : '24h';
  const hooks = (await services.webhooks.list(cl, 100)).data;
  const selected = hooks.find((h) => h.id === q.webhook) ?? null;
  const [points, failing] = await Promise.all([services.webhookOverview.chart(cl, range, selected?.id), services.webhookOverview.failing(cl, range)]);
  const byId = new Map(hooks.map((h) => [h.id, h]));
  const t = totals(points);
  const all = points.reduce((a, p) => a + p.succeeded + p.retrying + p.failed, 0);
  const failed = hooks.filter((h) => h.status === 'failed');
  const alerts = hooks.filter((h) => ALERT_EVENTS.every((e) => h.events.includes(e)));
  const qs = (extra: Record<string, string>) => new URLSearchParams({ range, ...(selected ? { webhook: selected.id } : {}), ...extra }).toString();
  return html`${failed.map(
    (h) => html`<div class="banner banner-failed" role="alert"><strong>Failed:</strong> <span class="url-inline">${h.url}</span> stopped receiving deliveries.
  <a href="/console/webhooks/${h.id}?status=failed">Open its failure log</a></div>`,
  )}
<div class="page-head"><div><h1>Overview</h1><p class="muted">Webhook delivery over the last ${range === '1h' ? 'hour' : range === '24h' ? '24 hours' : '7 days'}${selected ? html` for <code>${selected.url}</code>` : ' for the whole company'}.</p></div>
<div class="head-actions">
  <nav class="filters-tabs" aria-label="Range">${(Object.keys(RANGES) as RangeName[]).map((r) => html`<a href="/console/overview?${new URLSearchParams({ range: r, ...(selected ? { webhook: selected.id } : {}) }).toString()}"${r === range ? html` aria-current="page"` : ''}>${r === '1h' ? 'Last hour' : r === '24h' ? '24 h' : '7 days'}</a>`)}</nav>
  <form method="get" action="/console/overview" class="inline-form"><input type="hidden" name="range" value="${range}">
    <label class="sr-only" for="ov-webhook">Endpoint</label>
    <select id="ov-webhook" name="webhook"><option value="">All endpoints</option>${hooks.map((h) => html`<option value="${h.id}"${h.id === selected?.id ? html` selected` : ''}>${h.url}</option>`)}</select>
    <button type="submit" class="ghost">Show</button></form>
</div></div>
<div class="overview">
  <div class="overview-main">
    <section class="card" aria-labelledby="ch-del">
      <div class="section-head"><h2 id="ch-del">Attempts by outcome</h2>
        <p class="legend small"><span class="key key-succeeded"></span> succeeded ${t.succeeded} · <span class="key key-retrying"></span> retrying ${t.retrying} · <span class="key key-failed"></span> failed ${t.failed}</p></div>
      ${all === 0 ? html`<p class="muted small chart-empty">No attempts in this range.</p>` : ''}
      ${deliveriesSvg(points, range)}
    </section>
    <section class="card" aria-labelledby="ch-lat">
      <div class="section-head"><h2 id="ch-lat">Attempt latency (ms)</h2>
        <p class="legend small"><span class="key key-p50"></span> p50 · <span class="key key-p99"></span> p99 <span class="muted">(bucket upper bounds)</span></p></div>
      ${latencySvg(points, range)}
    </section>
  </div>
  <aside class="overview-side">
    <section class="card" aria-labelledby="failing-title">
      <h2 id="failing-title">Failing most</h2>
      ${failing.length === 0
        ? html`<p class="muted small">No failed or retried attempts in this range.</p>`
        : html`<ol class="failing">${failing.map((f) => {
            const h = byId.get(f.webhook_id);
            return html`<li>${h ? html`<a href="/console/webhooks/${h.id}?status=failed">${h.url}</a>` : html`<span class="muted">deleted endpoint</span>`}
            <span class="small"><span class="bad">${f.failed} failed</span> · ${f.retrying} retrying of ${f.total}</span>
            ${h ? html` <a class="small" href="/console/overview?${qs({ webhook: h.id })}">chart</a>` : ''}</li>`;
          })}</ol>`}
    </section>
    <section class="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      ${alerts.length
        ? html`<ul class="alert-list">${alerts.map((h) => html`<li><a href="/console/webhooks/${h.id}">${h.url}</a></li>`)}</ul>`
        : html`<p class="muted small">No alert endpoint yet.</p>`}
      <form method="post" action="/console/overview/alert" class="stack" id="alert-form">
        <input type="hidden" name="_csrf" value="${csrf}">
        <label for="alert-url">Notification URL</label>
        <input id="alert-url" name="url" type="url" required placeholder="https://hooks.example.com/…" autocomplete="off">
        <fieldset class="choices"><legend>Body</legend>
          <label><input type="radio" name="body_format" value="slack" checked> Slack-compatible <code>{"text": …}</code></label>
          <label><input type="radio" name="body_format" value="envelope"> Event envelope</label>
        </fieldset>
        <p class="help">Receives <code>webhook.failed</code>, <code>webhook.recovered</code> and <code>delivery.exhausted</code>, signed: as a one-line <code>{"text"}</code> a Slack (or Mattermost) incoming webhook posts, or as the event envelopes. An ordinary endpoint you can edit later.</p>
        <button type="submit" class="primary">Create alert endpoint</button>
      </form>
    </section>
  </aside>
</div>`;
}

export function overviewPages(c: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const roles = { consoleRoles: WEBHOOK_ROLES };
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);

  c.get('/overview', { config: roles }, async (request, reply) => {
    const s = sessionOf(request);
    const q = request.query as Record<string, string | undefined>;
    return sendPage(reply, page({ title: 'Overview', session: s, nav: 'overview', wide: true, toast: q.toast === 'alert' ? 'Alert endpoint created' : null }, await overviewBody(platform, caller(request), s.csrf, q)));
  });

  c.post('/overview/alert', { config: roles }, async (request, reply) => {
    const body = (request.body as Record<string, string> | undefined) ?? {};
    const url = String(body.url ?? '').trim();
    if (!url) throw new SwitchboardError('validation_failed', 'Enter the URL that should receive alerts.', '/url');
    // A form without the choice (a script, an old page) gets the API's default, the envelope.
    const bodyFormat = body.body_format === 'slack' ? 'slack' : 'envelope';
    await services.webhooks.create(caller(request), { url, events: ALERT_EVENTS, body_format: bodyFormat, description: 'Alerts: endpoint failures and exhausted deliveries' });
    return redirect(request, reply, '/console/overview?toast=alert');
  });
}
