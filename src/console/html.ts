/**
 * The console's template layer: a tagged template that escapes every interpolated value unless it
 * is already Html (made by `html` itself or, for text we produced, `raw`). Escaping is the default,
 * so a template can only emit markup from a value on purpose. No build step, no template files.
 */

import { redactJson } from '../domain/masking.ts';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** `html\`<p>${text}</p>\``: interpolations are escaped; arrays are joined; null/false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Marks markup this code built itself (never user input) as safe to emit. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A boolean attribute: ` disabled` when on. */
export function attr(name: string, on: boolean | undefined): Html {
  return new Html(on ? ` ${name}` : '');
}

/**
 * JSON pretty-printed with spans per token (keys, strings, numbers, literals) for highlighting.
 * Every token is escaped; the markup around them is ours.
 */
export function highlightJson(value: unknown): Html {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const token = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let out = '';
  let last = 0;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    out += escapeHtml(text.slice(last, m.index));
    if (m[1] !== undefined) out += `<span class="${m[2] ? 'j-key' : 'j-str'}">${escapeHtml(m[1])}</span>${m[2] ? escapeHtml(m[2]) : ''}`;
    else if (m[3] !== undefined) out += `<span class="j-lit">${m[3]}</span>`;
    else out += `<span class="j-num">${escapeHtml(m[4]!)}</span>`;
    last = token.lastIndex;
  }
  return new Html(out + escapeHtml(text.slice(last)));
}

/**
 * Stored data a person reads (client_data, context, event envelopes, tool answers) highlighted with
 * the one masking policy applied: a field with a secret name (`erp_token`, `api_key`, …) shows as
 * •••• and its value is redacted wherever else it appears, as in the session logs.
 */
export function highlightMasked(value: unknown): Html {
  const found: string[] = [];
  redactJson(value, [], found);
  return highlightJson(redactJson(value, found));
}

/** A body shown pretty-printed when it is JSON, as escaped text otherwise. */
export function bodyView(body: string | null): Html {
  if (body === null || body === '') return html`<span class="muted">(empty)</span>`;
  try {
    return highlightJson(JSON.parse(body));
  } catch {
    return html`${body}`;
  }
}

/** Inline SVG icons (presentation attributes only, so the CSP's style-src does not apply). */
export const ICONS = {
  eye: raw(
    '<svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/><circle cx="12" cy="12" r="3"/></svg>',
  ),
  warning: raw(
    '<svg width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><line x1="12" y1="9" x2="12" y2="13"/><line x1="12" y1="17" x2="12.01" y2="17"/></svg>',
  ),
  hook: raw(
    '<svg width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 8h13l-3-3M20 16H7l3 3"/></svg>',
  ),
};
