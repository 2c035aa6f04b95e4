import type { DeliveryContext } from './context.ts';
import { claimDue, nextDueAt, nothingClaimed, releaseLeases, type ClaimedDelivery, type ClaimResult } from '../store/queue.ts';
import { unreadableEndpointOf, webhookRowsByIds, type Endpoint } from '../store/webhooks.ts';
import { createEndpointCache } from './endpoint-cache.ts';
import { buildSignedRequest } from './request.ts';
import { deliveryBody } from '../domain/alert-body.ts';
import { isSuccess } from './attempt-outcome.ts';
import { createOutcomeBatcher } from './outcome-batcher.ts';
import { createRateBuckets } from './rate-buckets.ts';
import { createSlotAllocator } from './slots.ts';
import { createLanes, type Job, type Lane } from './lanes.ts';
import { createClaimMemo } from './claim-memo.ts';

/** The delivery worker as the server runs it: started with the process, stopped with it. */
export interface DeliveryWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** Most deliveries claimed per query. */
  batchSize?: number;
  /** Longest idle sleep: the safety-net poll for retries coming due and expired leases. */
  pollMs?: number;
  /** How long stop() waits for attempts in flight. */
  stopGraceMs?: number;
}

const RESPONSE_BYTES_KEPT = 64 * 1024;
// Recomputing when the next retry is due costs a query; while attempts are in flight their
// completions wake the loop anyway, so it is refreshed at most this often.
const NEXT_DUE_REFRESH_MS = 250;
// Pause between a wake-up and the claim it triggers, to claim events arriving together at once.
const GATHER_MS = 3;
// Time kept between an attempt's deadline and its lease's end, for recording the outcome.
const LEASE_MARGIN_MS = 2000;
/** The attempt error of a delivery whose endpoint's sealed credentials or secret cannot be opened. */
export const UNDECRYPTABLE_ERROR = 'cannot decrypt endpoint credentials: the master key differs from the one that sealed them';

/**
 * The delivery worker: claim due deliveries -> send each outside any transaction -> record the
 * attempt and reschedule or finish (group-committed, see outcome-batcher.ts). The claim query applies
 * the rules that must hold across processes (leases, endpoint status, conversation order); this
 * process then holds each endpoint to `rate_limit_per_s` (per process: N worker processes may
 * send N times as much), and shares `config.workerConcurrency` send slots between companies and
 * endpoints (lanes.ts hands them out, slots.ts decides whose turn: an endpoint at most its
 * `max_in_flight` and the company share, a company at most its share while others wait, free
 * slots round-robin). A slow or hanging endpoint only ever fills its own share, and a full lane
 * is left out of claims, so it never holds others up (claim-memo.ts keeps that cheap). Idle, the
 * loop sleeps until the next retry is due (at most `pollMs`), a notification arrives, or a lane
 * has room again.
 */
export function createDeliveryWorker(ctx: DeliveryContext, opts: WorkerOptions = {}): DeliveryWorker {
  const { db, dialect } = ctx.database;
  const concurrency = ctx.config.workerConcurrency;
  const maxHeld = concurrency * 2;
  const batchSize = Math.min(opts.batchSize ?? 256, maxHeld);
  // Claiming for one or two free slots costs as much as for a full batch: wait for a few.
  const minClaim = Math.max(1, Math.floor(batchSize / 8));
  const pollMs = opts.pollMs ?? 1000;
  const stopGraceMs = opts.stopGraceMs ?? 10_000;
  const leaseMs = ctx.config.leaseSeconds * 1000;
  const buckets = createRateBuckets();
  const slots = createSlotAllocator({ total: concurrency });
  const outcomes = createOutcomeBatcher(ctx);
  const endpoints = createEndpointCache(ctx.secrets);
  const attempts = new Set<Promise<void>>();
  let held = 0; // claimed and not yet sent back: queued + sending
  let stopping = false;
  let onStop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (onStop = resolve));
  let ring: (() => void) | null = null;
  let loopDone: Promise<void> = Promise.resolve();

  /** Wakes this process's claim loop. */
  const doorbell = () => {
    const r = ring;
    ring = null;
    r?.();
  };
  const memo = createClaimMemo(NEXT_DUE_REFRESH_MS);
  /** Rows may have become due (a retry scheduled, a conversation's next one): look again. */
  const somethingDue = () => {
    memo.mayBeDue();
    doorbell();
  };

  const lanes = createLanes({
    slots,
    buckets,
    leaseMarginMs: LEASE_MARGIN_MS,
    start: (lane, job) => track(send(lane, job), job),
    expired(jobs) {
      void giveBack(jobs).catch((err: unknown) => ctx.logger.error({ err }, 'releasing an expired claim failed'));
    },
  });

  /** A slot came free: hand it to whoever's turn it is (this lane or another); claim when a round fits. */
  function freed(lane: Lane): void {
    held--;
    lanes.done(lane);
    if (lanes.hasRoomForRound(lane) || held === 0) doorbell();
  }

  async function send(lane: Lane, job: Job): Promise<void> {
    const { claim, event } = job;
    const endpoint = lane.endpoint;
    const at = new Date();
    let signed: ReturnType<typeof buildSignedRequest>;
    let result: Awaited<ReturnType<typeof ctx.httpClient.send>>;
    try {
      // The envelope as stored, or an alert endpoint's {"text"}: signed exactly as sent.
      const body = deliveryBody(endpoint.bodyFormat, event.payload);
      signed = buildSignedRequest(endpoint, { id: claim.event_id, body, timestamp: Math.floor(at.getTime() / 1000) });
      result = await ctx.httpClient.send({
        path: 'delivery',
        method: 'POST',
        url: signed.url,
        headers: signed.headers,
        body,
        timeoutMs: endpoint.timeoutMs,
        maxResponseBytes: RESPONSE_BYTES_KEPT,
        logContext: { webhook: endpoint.id, delivery: claim.id },
      });
    } finally {
      freed(lane);
    }
    ctx.metrics.attemptDuration.observe({ outcome: isSuccess(result) ? 'success' : 'failure' }, result.durationMs / 1000);
    // If recording fails (store unreachable) the lease runs out and the delivery is sent again:
    // at least once, never lost.
    const recorded = await outcomes.record({ claim, endpoint, eventType: event.type, at, loggedHeaders: signed.loggedJson, result });
    if (recorded.outcome !== 'lost') ctx.metrics.deliveries.inc({ outcome: recorded.outcome });
    if (recorded.endpointStopped) {
      await giveBack(lanes.empty(lane));
    }
    // A retry is scheduled (maybe due at once), or the conversation's next delivery became
    // claimable: either way the loop must look again, now that the outcome committed.
    else if (recorded.outcome === 'retrying' || endpoint.ordering === 'conversation') somethingDue();
  }

  /** Keeps an attempt's promise until it settles, so stop() can wait for it. */
  function track(p: Promise<void>, job: Job): void {
    const tracked: Promise<void> = p
      .catch((err: unknown) => ctx.logger.error({ err, delivery: job.claim.id }, 'recording a delivery attempt failed'))
      .finally(() => attempts.delete(tracked));
    attempts.add(tracked);
  }

  /**
   * A delivery that cannot be signed or authenticated is not sent: it gets a failed attempt saying
   * why, visible in the delivery log, and is retried on the endpoint's schedule (exhausted in the
   * end), so an operator who fixes SWITCHBOARD_MASTER_KEY sees the next attempts go out.
   */
  async function failUnsendable(endpoint: Endpoint, job: Job): Promise<void> {
    let recorded: Awaited<ReturnType<typeof outcomes.record>>;
    try {
      recorded = await outcomes.record({
        claim: job.claim,
        endpoint,
        eventType: job.event.type,
        at: new Date(),
        loggedHeaders: '{}',
        result: { statusCode: null, headers: {}, body: '', truncated: false, durationMs: 0, error: UNDECRYPTABLE_ERROR, errorCode: null },
        countsForEndpoint: false,
      });
    } finally {
      held--;
    }
    if (recorded.outcome !== 'lost') ctx.metrics.deliveries.inc({ outcome: recorded.outcome });
    if (recorded.outcome === 'retrying' || endpoint.ordering === 'conversation') somethingDue();
  }

  /** Gives claimed deliveries back unsent: no attempt counted, due again now. */
  async function giveBack(jobs: Job[]): Promise<void> {
    if (jobs.length === 0) return;
    held -= jobs.length;
    await releaseLeases(ctx.database, jobs.map((j) => j.claim), Date.now());
    memo.mayBeDue();
  }

  /** Loads what a claimed batch needs and queues each delivery in its endpoint's lane. */
  async function dispatch(batch: ClaimedDelivery[], events: ClaimResult['events'], versions: ClaimResult['endpoints']): Promise<void> {
    held += batch.length;
    const now = Date.now();
    const current = new Map<string, Endpoint>();
    const unreadable = new Set<string>();
    // The claim read each endpoint's status and version: only a version not cached is read again.
    const stale: string[] = [];
    for (const id of new Set(batch.map((c) => c.webhook_id))) {
      const v = versions.get(id);
      const cached = v && endpoints.peek(id, v.updatedAt, v.status, now);
      if (cached) current.set(id, cached);
      else stale.push(id);
    }
    const rows = stale.length === 0 ? [] : await webhookRowsByIds(db, stale);
    for (const row of rows) {
      try {
        current.set(row.id, endpoints.get(row, now));
      } catch (err) {
        ctx.logger.error({ err, webhook: row.id }, 'cannot decrypt webhook endpoint credentials');
        current.set(row.id, unreadableEndpointOf(row));
        unreadable.add(row.id);
      }
    }
    const unsent: Job[] = [];
    const touched = new Set<Lane>();
    for (const claim of batch) {
      const endpoint = current.get(claim.webhook_id);
      const event = events.get(claim.event_id);
      // A manual retry is sent whatever the endpoint's status (API.md: "a new attempt now, whatever the status").
      if (!event || !endpoint || (endpoint.status !== 'active' && !claim.manual) || stopping) {
        // A vanished endpoint took its deliveries with it; an inactive one keeps them pending.
        unsent.push({ claim, event: event ?? { type: '', payload: '' } });
        // Whatever its lane still holds waits too.
        const stale = endpoint && endpoint.status !== 'active' && !claim.manual ? lanes.get(endpoint.id) : undefined;
        if (stale) unsent.push(...lanes.empty(stale));
        continue;
      }
      if (unreadable.has(endpoint.id)) {
        const job = { claim, event };
        track(failUnsendable(endpoint, job), job);
        continue;
      }
      const lane = lanes.laneFor(endpoint);
      lane.queue.push({ claim, event });
      touched.add(lane);
    }
    await giveBack(unsent);
    for (const lane of touched) lanes.offer(lane);
    lanes.schedule();
  }

  let nextDue: { at: number | null; checked: number } = { at: null, checked: 0 };
  /** How long the loop may sleep: until the next retry is due, at most pollMs. */
  async function sleepMs(): Promise<number> {
    const now = Date.now();
    if (held === 0 || now - nextDue.checked > NEXT_DUE_REFRESH_MS) nextDue = { at: await nextDueAt(db, now), checked: now };
    return nextDue.at === null ? pollMs : Math.min(pollMs, Math.max(1, nextDue.at - now));
  }

  /** Endpoints this process takes nothing for now: lanes that are full, or out of rate tokens. */
  function excluded(now: number): string[] {
    const out = new Set(buckets.empty(now));
    for (const lane of lanes.all()) if (lanes.room(lane) <= 0) out.add(lane.endpoint.id);
    return [...out];
  }

  async function loop(): Promise<void> {
    // The notifier signal is armed before each claim, so a notification that arrives while a
    // claim runs is not lost (it ends the next sleep at once).
    let notified = true;
    let signal: Promise<void> = Promise.resolve();
    while (!stopping) {
      if (notified) {
        notified = false;
        signal = ctx.notifier.wait(pollMs).then(() => {
          notified = true;
          memo.mayBeDue();
        });
      }
      const bell = new Promise<void>((resolve) => (ring = resolve));
      let more = false;
      let sleep = pollMs;
      try {
        const want = Math.min(batchSize, maxHeld - held);
        if (want >= minClaim || (held === 0 && want > 0)) {
          const now = Date.now();
          const exclude = excluded(now);
          const skipped = new Set(exclude);
          // Room in the lanes this process has, or at least a share for endpoints it has no lane
          // for. Not both: a claim reads candidates for what it expects to take, and every row
          // read beyond the lanes' room is read again by the next claim (with one endpoint that
          // was a third of the rows a drain read).
          let room = 0;
          for (const lane of lanes.all()) if (!skipped.has(lane.endpoint.id)) room += Math.max(0, lanes.room(lane));
          const expected = Math.max(minClaim, room);
          const { skip, token } = memo.before(skipped, now);
          const { claimed: batch, parked, events, endpoints: versions } = skip ? nothingClaimed() : await claimDue(ctx.database, {
            now,
            limit: want,
            expected,
            leaseMs,
            exclude,
            room: (id, maxInFlight) => {
              const lane = lanes.get(id);
              return lane ? lanes.room(lane) : lanes.roomForNew(maxInFlight);
            },
          });
          if (batch.length === 0 && parked === 0) memo.foundNothing(token, skipped, now);
          if (batch.length > 0) await dispatch(batch, events, versions);
          // Took all it looked for, the room of the lanes and more: there may be more behind (new
          // endpoints now have lanes). Having filled the lanes, it waits for them to empty.
          more = batch.length >= Math.min(want, room + minClaim) || parked > 0;
          if (!more && !stopping) sleep = await sleepMs();
        }
      } catch (err) {
        ctx.logger.error({ err }, 'delivery worker: claim failed');
      }
      if (more || stopping) continue;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([signal, bell, stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, sleep)))]);
      clearTimeout(timer);
      // Woken by one new event, wait a moment for the next few: under a steady trickle each
      // claim (and its commit) then carries several deliveries instead of one.
      if (!stopping) await new Promise<void>((resolve) => setTimeout(resolve, GATHER_MS));
    }
  }

  return {
    async start() {
      if (dialect === 'postgres') await ctx.notifier.listen();
      loopDone = loop();
    },
    async stop() {
      stopping = true;
      // No slot is handed out from now on; deliveries claimed but not sent go back to the queue at once.
      const waiting = lanes.stop();
      onStop();
      await loopDone;
      waiting.push(...lanes.stop());
      await giveBack(waiting).catch((err: unknown) => ctx.logger.error({ err }, 'releasing unsent deliveries failed'));
      // Attempts in flight finish and are recorded; one still hanging after the grace period keeps
      // its lease, which expires, so another worker sends it again (at least once).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...attempts]), new Promise<void>((resolve) => (timer = setTimeout(resolve, stopGraceMs)))]);
      clearTimeout(timer);
    },
  };
}
