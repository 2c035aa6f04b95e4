/**
 * The outcome rule of a delivery attempt: what an answer does to its delivery (succeeded,
 * rescheduled per the retry schedule, exhausted) and to its endpoint (the failure rule). The
 * batching of outcomes into transactions is outcome-batcher.ts's.
 */
import type { DeliveryContext } from './context.ts';
import { runUnitOfWork, type Work } from '../store/unit-of-work.ts';
import { countEvents } from '../metrics.ts';
import type { OutboundResult } from './http-client.ts';
import type { ClaimedDelivery } from '../store/queue.ts';
import { endClaims, holdsRow, lockDeliveries, stillHeld, unparkNext } from '../store/queue.ts';
import { markExhausted, resetFailureCount, scheduleRetry } from '../store/delivery-outcomes.ts';
import { markSucceeded } from '../store/sql/mark-succeeded.ts';
import { insertAttempts, type AttemptInsert } from '../store/sql/insert-attempts.ts';
import { countAttempts, type DeliveryRow } from '../store/deliveries.ts';
import type { Endpoint } from '../store/webhooks.ts';
import { lockWebhookRow, updateWebhookRow } from '../store/webhooks.ts';
import { nextDelayMs, parseRetryAfter } from '../domain/retry-policy.ts';
import { countFailure, describeFailure } from '../domain/failure-rule.ts';
import { addToRollup, type RollupOutcome } from '../store/attempt-rollup.ts';

/** What became of a delivery after an attempt; `lost` when another worker owns it now (or it was deleted). */
export type Outcome = 'succeeded' | 'retrying' | 'exhausted' | 'lost';

export interface Recorded {
  outcome: Outcome;
  /** The endpoint is no longer active (this batch tripped the failure rule, or a person disabled it). */
  endpointStopped: boolean;
}

export interface SentAttempt {
  claim: ClaimedDelivery;
  endpoint: Endpoint;
  eventType: string;
  at: Date;
  /** The request's headers as logged (credentials masked), as JSON text. */
  loggedHeaders: string;
  result: OutboundResult;
  /**
   * False when the attempt failed on this side before anything was sent (the endpoint's
   * credentials could not be decrypted): it follows the retry schedule like any failure, but does
   * not count toward the endpoint's failure rule, which judges the receiver. Default true.
   */
  countsForEndpoint?: boolean;
}

export const isSuccess = (r: OutboundResult) => r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;

/**
 * Records a batch of attempts and applies their consequences in one transaction: the attempt
 * rows, each endpoint's failure counter (and the failure rule, emitting webhook.failed), and each
 * delivery's next state (succeeded, rescheduled, or failed emitting delivery.exhausted).
 * Operational events go through the outbox with the state change, so they exist exactly when the
 * change committed. One transaction per batch is what makes high delivery rates possible: the
 * commit, not the statements, is the cost.
 */
export async function recordAttempts(ctx: DeliveryContext, batch: SentAttempt[]): Promise<Recorded[]> {
  const dialect = ctx.database.dialect;
  const recorded = await runUnitOfWork(ctx, batch[0].claim.company_id, async (work) => {
    const now = Date.now();
    // Successes, the bulk of any batch, finish in one statement that also says which claims were
    // still ours. The rest (failures, and successes whose claim was not ours) read their rows:
    // a failure's next state depends on them, and a row that is gone went with its deleted endpoint.
    const outcomes = new Map<string, Outcome>();
    const succeeded = await markSucceeded(work.trx, dialect, stillHeld(ctx.database, batch.filter((a) => isSuccess(a.result)).map((a) => a.claim)), now);
    for (const id of succeeded) outcomes.set(id, 'succeeded');
    const others = batch.filter((a) => !succeeded.has(a.claim.id));
    const rows = new Map(others.length === 0 ? [] : (await lockDeliveries(work.trx, dialect, others.map((a) => a.claim.id))).map((d) => [d.id, d]));
    const live = batch.filter((a) => succeeded.has(a.claim.id) || rows.has(a.claim.id));
    await insertAttempts(work.trx, dialect, live.map((a) => attemptRow(ctx, a)));

    // A claim that no longer holds its delivery expired, and another claim took the delivery (or
    // a person re-queued it): the attempt is history, but the delivery's state is theirs.
    const ours = (a: SentAttempt) => {
      const d = rows.get(a.claim.id);
      return d !== undefined && holdsRow(ctx.database, a.claim, d);
    };
    const stopped = new Set<string>();

    // Per endpoint, in id order (endpoint rows are locked in one order, so concurrent batches do
    // not deadlock on them; a deadlock on delivery rows, with a deletion, is retried by the
    // batcher): a success resets the counter, and only the failures after the batch's last
    // success count.
    const byEndpoint = new Map<string, { lastSuccess: number; failures: number[] }>();
    live.forEach((a, i) => {
      const e = byEndpoint.get(a.claim.webhook_id) ?? { lastSuccess: -1, failures: [] };
      if (isSuccess(a.result)) e.lastSuccess = i;
      else e.failures.push(i);
      byEndpoint.set(a.claim.webhook_id, e);
    });
    for (const webhookId of [...byEndpoint.keys()].sort()) {
      const e = byEndpoint.get(webhookId)!;
      if (e.failures.length === 0) {
        await resetFailureCount(work.trx, webhookId);
        continue;
      }
      let wh = await lockWebhookRow(work.trx, dialect, live[e.failures[0]].claim.company_id, webhookId);
      if (!wh) continue;
      if (e.lastSuccess >= 0) wh = { ...wh, failure_count: 0, failure_window_start: null };
      const wasActive = wh.status === 'active';
      for (const i of e.failures) {
        const a = live[i];
        if (i > e.lastSuccess && a.countsForEndpoint !== false) wh = await countFailed(work, wh, a.result, now);
        if (ours(a)) outcomes.set(a.claim.id, await reschedule(work, a, rows.get(a.claim.id)!, wh, now));
      }
      if (e.lastSuccess >= 0 && e.failures.every((i) => i < e.lastSuccess)) await resetFailureCount(work.trx, webhookId);
      if (!wasActive || wh.status !== 'active') stopped.add(webhookId);
    }
    // The next delivery of each conversation finished here may be parked behind it: make it due,
    // and wake the workers of other processes.
    let ordered = false;
    for (const a of live) {
      const o = outcomes.get(a.claim.id);
      const { conversation_id: conversationId, sequence } = a.claim;
      if (a.endpoint.ordering !== 'conversation' || conversationId === null || sequence === null) continue;
      ordered = true;
      if (o === 'succeeded' || o === 'exhausted') await unparkNext(work.trx, a.claim.webhook_id, conversationId, now);
    }
    if (ordered) await work.wakeWorkers();
    // The overview charts endpoints; a listen session's local answers are not their traffic.
    await addToRollup(work.trx, live.filter((a) => a.endpoint.kind === 'endpoint').map((a) => ({ companyId: a.claim.company_id, webhookId: a.claim.webhook_id, atMs: a.at.getTime(), durationMs: a.result.durationMs, outcome: rollupOutcome(a, outcomes.get(a.claim.id)) })));
    return batch.map((a) => ({ outcome: outcomes.get(a.claim.id) ?? 'lost', endpointStopped: stopped.has(a.claim.webhook_id) }));
  }, countEvents(ctx.metrics));
  // Committed: the deliveries' rows say what comes next, the claims are over.
  endClaims(ctx.database, batch.map((a) => a.claim));
  return recorded;
}

/** The overview's outcome of an attempt: a failure that ended its delivery is failed, any other is retrying. */
function rollupOutcome(a: SentAttempt, o: Outcome | undefined): RollupOutcome {
  if (o === 'exhausted') return 'failed';
  if (o === 'succeeded' || (o !== 'retrying' && isSuccess(a.result))) return 'succeeded';
  return 'retrying';
}

function attemptRow(ctx: DeliveryContext, a: SentAttempt): AttemptInsert {
  const r = a.result;
  return {
    id: ctx.newId('att'),
    delivery_id: a.claim.id,
    webhook_id: a.claim.webhook_id,
    at: a.at.toISOString(),
    status_code: r.statusCode,
    error: r.error,
    duration_ms: r.durationMs,
    request_headers: a.loggedHeaders,
    response_headers: JSON.stringify(r.headers),
    response_body: r.statusCode === null && r.body === '' ? null : r.body,
  };
}

type WebhookState = NonNullable<Awaited<ReturnType<typeof lockWebhookRow>>>;

/**
 * A failure counts, and trips an active endpoint to `failed` when the rule says so (threshold
 * within 24 h, or a 410). Attempts finishing after the endpoint was disabled still count but
 * never emit twice. Returns the endpoint row as it is now.
 */
async function countFailed(work: Work, wh: WebhookState, result: OutboundResult, now: number): Promise<WebhookState> {
  const verdict = countFailure(
    { count: Number(wh.failure_count), windowStart: wh.failure_window_start },
    wh.failure_threshold,
    now,
    result.statusCode,
    describeFailure(result.statusCode, result.error),
  );
  const iso = new Date(now).toISOString();
  const trip = verdict.trip && wh.status === 'active';
  const set = {
    failure_count: verdict.count,
    failure_window_start: verdict.windowStart,
    ...(trip ? { status: 'failed', disabled_at: iso, updated_at: iso } : {}),
  };
  await updateWebhookRow(work.trx, wh.id, set);
  if (trip) {
    await work.emit({
      type: 'webhook.failed',
      companyId: wh.company_id,
      data: { webhook: { id: wh.id, url: wh.url, status: 'failed', description: wh.description }, reason: verdict.reason },
    });
  }
  return { ...wh, ...set };
}

/** After a failed attempt: the next one per the schedule (retry-after honoured), or exhausted. */
async function reschedule(work: Work, a: SentAttempt, d: DeliveryRow, wh: WebhookState, now: number): Promise<Outcome> {
  const { result } = a;
  const made = Number(d.attempt_count) + 1;
  const schedule = a.endpoint.retrySchedule;
  const retryAfter = result.statusCode === 429 || result.statusCode === 503 ? parseRetryAfter(result.headers['retry-after'], now) : null;
  // A 410 means the URL is gone for good: the delivery ends now, like the endpoint.
  const delay = made > schedule.length || result.statusCode === 410 ? null : nextDelayMs(schedule, made, retryAfter);
  if (delay !== null) {
    await scheduleRetry(work.trx, d.id, made, now + delay, now);
    return 'retrying';
  }
  await markExhausted(work.trx, d.id, made, now);
  // A `switchboard listen` session that got a failing local answer is a developer's loop, not an
  // outage: the company's alert endpoints hear nothing of it.
  if (a.endpoint.kind === 'listener') return 'exhausted';
  await work.emit({
    type: 'delivery.exhausted',
    companyId: d.company_id,
    data: {
      delivery: {
        id: d.id,
        event_id: d.event_id,
        event_type: a.eventType,
        attempts: await countAttempts(work.trx, d.id),
        last_status_code: result.statusCode,
        last_error: result.error,
      },
      webhook: { id: wh.id, url: wh.url },
    },
  });
  return 'exhausted';
}
