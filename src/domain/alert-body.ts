import { matchesEventType, type ParamError } from './event-filter.ts';

/**
 * An endpoint's `body_format`: what the delivered body is. `envelope` (the default) is the event's
 * envelope, byte for byte as stored. `slack` is `{"text": "<one line>"}`, the body Slack incoming
 * webhooks (and Mattermost, Rocket.Chat, Google Chat, Discord's /slack endpoint) accept, so an alert
 * endpoint can point straight at a chat channel. Either body is signed with the same Standard
 * Webhooks headers.
 */
export const BODY_FORMATS = ['envelope', 'slack'] as const;
export type BodyFormat = (typeof BODY_FORMATS)[number];

/** The operational events: the only ones with a one-line summary, so the only ones `slack` may carry. */
export const ALERT_EVENT_TYPES = ['webhook.failed', 'webhook.recovered', 'delivery.exhausted'] as const;

/**
 * `slack` is for alert endpoints: every subscription must select operational events only (a
 * message or conversation event has no one-line summary worth posting, and a chat channel is no
 * place for customer data). Null when valid.
 */
export function validateBodyFormat(format: BodyFormat, events: string[], catalog: string[]): ParamError | null {
  if (format !== 'slack') return null;
  const alerts = new Set<string>(ALERT_EVENT_TYPES);
  for (const [i, pattern] of events.entries()) {
    const other = catalog.find((t) => !alerts.has(t) && matchesEventType([pattern], t));
    if (other) {
      return {
        param: `/events/${i}`,
        message: `body_format "slack" posts a one-line summary, which only ${ALERT_EVENT_TYPES.join(', ')} have; "${pattern}" selects ${other}. Subscribe to those three alone, or set body_format to "envelope".`,
      };
    }
  }
  return null;
}

interface Envelope {
  id?: string;
  type?: string;
  data?: {
    webhook?: { id?: string; url?: string; description?: string };
    reason?: string | null;
    delivery?: { id?: string; event_id?: string; event_type?: string; attempts?: number; last_status_code?: number | null; last_error?: string | null };
  };
}

// Slack reads &, < and > as markup (links, mentions): escaped, a URL or reason shows as written.
const esc = (s: unknown) => String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The human-readable one-line summary of an operational event's envelope. */
export function alertText(env: Envelope): string {
  const d = env.data ?? {};
  const wh = d.webhook ?? {};
  const name = `${esc(wh.url)}${wh.description ? ` (${esc(wh.description)})` : ''}`;
  const reason = d.reason ? ` ${esc(d.reason)}` : '';
  switch (env.type) {
    case 'webhook.failed':
      return oneLine(`Switchboard: endpoint ${name} failed and receives no more deliveries.${reason} Endpoint ${esc(wh.id)}.`);
    case 'webhook.recovered':
      return oneLine(`Switchboard: endpoint ${name} recovered and receives deliveries again.${reason} Endpoint ${esc(wh.id)}.`);
    case 'delivery.exhausted': {
      const dl = d.delivery ?? {};
      const last = dl.last_status_code != null ? `HTTP ${dl.last_status_code}` : esc(dl.last_error ?? 'no answer');
      return oneLine(`Switchboard: delivery ${esc(dl.id)} of ${esc(dl.event_type)} event ${esc(dl.event_id)} to ${esc(wh.url)} failed after ${dl.attempts ?? '?'} attempt${dl.attempts === 1 ? '' : 's'} (last: ${last}).`);
    }
    default:
      return oneLine(`Switchboard: ${esc(env.type)} event ${esc(env.id)}.`);
  }
}

/** The exact body to send (and sign) for a stored envelope. */
export function deliveryBody(format: BodyFormat, payload: string): string {
  if (format !== 'slack') return payload;
  return JSON.stringify({ text: alertText(JSON.parse(payload) as Envelope) });
}
