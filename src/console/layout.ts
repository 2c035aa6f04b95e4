import { html, ICONS, type Html } from './html.ts';
import type { ConsoleSession } from '../services/console-sessions.ts';

// htmx settings: no injected <style> (the CSP forbids inline styles), no eval, no scripts from
// swapped content, requests only to this origin. 422 answers carry a re-rendered form: swap them.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  // htmx copies these attributes across a swap for CSS transitions; a style attribute would be an
  // inline style, which the CSP refuses (and logs as an error).
  attributesToSettle: ['class', 'width', 'height'],
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '422', swap: true },
    { code: '[45]..', swap: false, error: true },
  ],
});

export interface PageOptions {
  title: string;
  session: ConsoleSession | null;
  /** Which nav entry is current. */
  nav?: 'overview' | 'webhooks' | 'members' | 'home' | 'keys' | 'events' | 'conversations' | 'agents';
  /** A toast to show on load (after a redirect). */
  toast?: string | null;
  wide?: boolean;
}

// The confirmation dialogs console.js opens for hx-confirm buttons (Escape closes them: <dialog>).
const dialogs = html`<dialog id="confirm-dialog" class="dialog" aria-labelledby="confirm-text">
  <form method="dialog">
    <p id="confirm-text"></p>
    <div class="dialog-actions">
      <button value="cancel" class="ghost" type="submit">Cancel</button>
      <button value="yes" class="primary" type="submit" id="confirm-yes">Yes</button>
    </div>
  </form>
</dialog>
<dialog id="delete-dialog" class="dialog" aria-labelledby="delete-title" aria-describedby="delete-text">
  <form method="dialog">
    <div class="warn-icon">${ICONS.warning}</div>
    <h2 id="delete-title">Delete webhook?</h2>
    <p id="delete-text">This action permanently deletes the webhook. Its pending deliveries stop and its delivery log is deleted.</p>
    <label for="delete-confirm">Type <strong>DELETE</strong> to confirm</label>
    <input id="delete-confirm" autocomplete="off" spellcheck="false">
    <div class="dialog-actions">
      <button value="cancel" class="ghost" type="submit">Cancel</button>
      <button value="yes" class="danger-solid" type="submit" id="delete-yes" disabled>Delete</button>
    </div>
  </form>
</dialog>`;

export function canManageWebhooks(session: ConsoleSession | null): boolean {
  return session !== null && (session.member.role === 'owner' || session.member.role === 'admin');
}

export function page(opts: PageOptions, body: Html): Html {
  const s = opts.session;
  const headers = s ? JSON.stringify({ 'x-csrf-token': s.csrf }) : null;
  const link = (href: string, key: PageOptions['nav'], label: string) =>
    html`<a href="${href}"${opts.nav === key ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${opts.title} · Switchboard</title>
<link rel="stylesheet" href="/console/static/style.css">
<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">
<script src="/console/static/htmx.min.js" defer></script>
<script src="/console/static/console.js" defer></script>
</head>
<body${headers ? html` hx-headers="${headers}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/console">Switchboard</a>
  ${s
    ? html`<nav aria-label="Main">
    ${canManageWebhooks(s) ? html`${link('/console/overview', 'overview', 'Overview')}${link('/console/webhooks', 'webhooks', 'Webhooks')}${link('/console/events', 'events', 'Events')}` : ''}
    ${link('/console/conversations', 'conversations', 'Conversations')}
    ${canManageWebhooks(s) ? html`${link('/console/agents', 'agents', 'Assistants')}${link('/console/keys', 'keys', 'API keys')}` : ''}
    ${s.member.role === 'owner' ? link('/console/members', 'members', 'Members') : ''}
  </nav>
  <form class="signout" method="post" action="/console/sign-out">
    <input type="hidden" name="_csrf" value="${s.csrf}">
    <span class="who" title="${s.member.email}">${s.member.name} · ${s.member.role}</span>
    <button type="submit" class="ghost">Sign out</button>
  </form>`
    : ''}
</header>
<main id="main" class="${opts.wide ? 'wide' : ''}" tabindex="-1">
${body}
</main>
${s ? dialogs : ''}
<div id="toasts" class="toasts" aria-live="polite" role="status"${opts.toast ? html` data-toast="${opts.toast}"` : ''}></div>
</body>
</html>`;
}

/** A whole page saying why something cannot be shown (403, 404). */
export function messagePage(session: ConsoleSession | null, title: string, message: string): Html {
  return page(
    { title, session },
    html`<section class="card narrow message">
  <h1>${title}</h1>
  <p>${message}</p>
  <p><a href="/console">Back to the console</a></p>
</section>`,
  );
}

/** "3 minutes ago" for a timestamp, with the exact time for the title attribute. */
export function ago(iso: string | null, now = Date.now()): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const text =
    s < 45 ? 'just now' : s < 90 ? '1 minute ago' : s < 3600 ? `${Math.round(s / 60)} minutes ago` : s < 86400 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}
