/**
 * Help for a mistyped or foreign event name: the names other platforms' docs use for the same
 * events, and the closest catalog names by edit distance.
 */
import { distance } from 'fastest-levenshtein';

/**
 * Event names of the product docs Switchboard's users come from, and what Switchboard calls them.
 * docs/webhooks.md shows this table; a test keeps the two the same.
 */
export const EVENT_ALIASES: Readonly<Record<string, string>> = {
  'call.end': 'call.ended',
  'call.start': 'call.initiated',
  'call.answer': 'call.answered',
  'message.link_tracking': 'message.link_clicked',
  'conversation.assign': 'conversation.assigned',
  'conversation.close': 'conversation.closed',
  'conversation.end': 'conversation.ended',
  'conversation.new': 'conversation.created',
  'custom_field.updated': 'conversation.custom_fields.updated',
  'contact.created': 'user.created',
};

/** Up to three catalog names for `name`: its alias first, then the closest by edit distance. */
export function suggestEventTypes(name: string, catalog: readonly string[]): string[] {
  const out: string[] = [];
  const alias = EVENT_ALIASES[name.toLowerCase()];
  if (alias && catalog.includes(alias)) out.push(alias);
  const lower = name.toLowerCase();
  // Close enough to be a typo: at most a third of the name differs (and never more than 6 edits).
  const budget = Math.min(6, Math.max(2, Math.floor(lower.length / 3)));
  const ranked = catalog
    .map((t) => ({ t, d: distance(lower, t) }))
    .filter((x) => x.d <= budget && !out.includes(x.t))
    .sort((a, b) => a.d - b.d || a.t.localeCompare(b.t));
  for (const { t } of ranked) if (out.length < 3) out.push(t);
  return out;
}

/** The message of an unknown event type: what to use instead, and where the catalog is. */
export function unknownEventTypeMessage(name: string, catalog: readonly string[]): string {
  const s = suggestEventTypes(name, catalog);
  const hint = s.length === 0 ? '' : ` Did you mean ${s.map((x) => `"${x}"`).join(' or ')}?`;
  return `Unknown event type "${name}".${hint} The event types are listed by GET /v1/event-types.`;
}
