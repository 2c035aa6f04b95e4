import { matchesEventType, validateEventPatterns } from '../domain/event-filter.ts';
import { EVENT_TYPE_NAMES } from '../domain/event-types.ts';
import { CliError, Unreachable, call, type ApiTarget } from './client.ts';

/**
 * `switchboard events tail`: prints the company's events as they happen, one line each, by
 * polling GET /v1/events. Polling, not a listener session, so tailing creates no deliveries and
 * records nothing: it only reads (an agent key cannot, the events list is for owners and admins).
 */

const POLL_MS = 500;
// Events are read from a little before the newest one seen: one committed late with an earlier
// timestamp is still found, and the ids already printed are skipped.
const OVERLAP_MS = 5_000;

export async function eventsTail(target: ApiTarget, patterns: string[], print: (line: string) => void, signal: AbortSignal): Promise<void> {
  const err = validateEventPatterns(patterns, [...EVENT_TYPE_NAMES]);
  if (err) throw new CliError(`--events: ${err.message}`);
  print(`tailing ${patterns.join(', ')} events from ${target.api} (Ctrl-C stops)`);
  let since = Date.now();
  const seen = new Map<string, number>();
  let down = false;
  while (!signal.aborted) {
    try {
      const q = new URLSearchParams({ limit: '100', created_after: new Date(since - OVERLAP_MS).toISOString() });
      const page = await call<{ data: { id: string; type: string; created_at: string }[] }>(target, 'GET', `/v1/events?${q}`);
      if (down) print('reconnected');
      down = false;
      for (const e of [...page.data].reverse()) {
        if (seen.has(e.id)) continue;
        const at = Date.parse(e.created_at);
        seen.set(e.id, at);
        since = Math.max(since, at);
        if (matchesEventType(patterns, e.type)) print(`${e.created_at}  ${e.type}  ${e.id}`);
      }
      for (const [id, at] of seen) if (at < since - 2 * OVERLAP_MS) seen.delete(id);
    } catch (e) {
      if (!(e instanceof Unreachable)) throw e;
      if (!down) print(`${e.message}; retrying`);
      down = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
