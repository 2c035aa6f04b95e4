import type { ClaimedDelivery } from '../store/queue.ts';
import type { Endpoint } from '../store/webhooks.ts';
import type { RateBuckets } from './rate-buckets.ts';
import type { SlotAllocator } from './slots.ts';

/** A claimed delivery waiting in this process: the claim and the event it carries. */
export interface Job {
  claim: ClaimedDelivery;
  event: { type: string; payload: string };
}

/**
 * One endpoint's share of this process: claimed deliveries waiting for a slot, and the number
 * being sent. It holds up to three rounds of its slot cap (one sending, two waiting), so the
 * next request goes out the moment a response comes back, without a trip to the store.
 */
export interface Lane {
  endpoint: Endpoint;
  queue: Job[];
  active: number;
  rateTimer: NodeJS.Timeout | null;
}

export interface LanesOptions {
  slots: SlotAllocator;
  buckets: RateBuckets;
  /** Time kept between an attempt's deadline and its lease's end, for recording the outcome. */
  leaseMarginMs: number;
  /** Starts sending a job; the lane's slot is taken, and `done(lane)` must be called when it frees. */
  start(lane: Lane, job: Job): void;
  /** Jobs that waited here until their lease could no longer cover an attempt: give them back. */
  expired(jobs: Job[]): void;
}

/**
 * The lanes of the worker: which endpoint's job gets the next free slot (slots.ts decides, fairly
 * across companies and endpoints), each endpoint kept to its rate limit (rate-buckets.ts), and how
 * much room each lane has for the next claim.
 */
export interface Lanes {
  /** The endpoint's lane, made on first use; the endpoint's settings are refreshed. */
  laneFor(endpoint: Endpoint): Lane;
  get(endpointId: string): Lane | undefined;
  all(): IterableIterator<Lane>;
  /** How many more deliveries a claim may bring this lane (negative: over). */
  room(lane: Lane): number;
  /** Room of an endpoint this process has no lane for yet. */
  roomForNew(maxInFlight: number): number;
  /** A whole round (the endpoint's slot cap) fits in the lane again. */
  hasRoomForRound(lane: Lane): boolean;
  /** The lane's waiting jobs changed: tell the allocator (nothing counts while out of rate tokens or stopping). */
  offer(lane: Lane): void;
  /** Hands the free slots out, in the allocator's turn, to the lanes with jobs waiting. */
  schedule(): void;
  /** A job of the lane finished sending: its slot goes to whoever's turn it is. */
  done(lane: Lane): void;
  /** Takes every waiting job out of the lane (given back by the caller). */
  empty(lane: Lane): Job[];
  /** Stops handing out slots and clears rate timers; returns every waiting job. */
  stop(): Job[];
}

// A lane holds one round being sent and up to two waiting, and asks for more once a whole round
// fits: claims come in rounds of max_in_flight while the round waiting keeps it busy.
const ROUNDS_HELD = 3;

export function createLanes(o: LanesOptions): Lanes {
  const { slots, buckets } = o;
  const lanes = new Map<string, Lane>();
  let stopping = false;

  const capacity = (lane: Lane) => ROUNDS_HELD * slots.endpointCap(lane.endpoint.maxInFlight);
  const room = (lane: Lane) => capacity(lane) - lane.queue.length - lane.active;

  function offer(lane: Lane): void {
    slots.setWaiting(lane.endpoint.id, lane.endpoint.companyId, lane.endpoint.maxInFlight, lane.rateTimer || stopping ? 0 : lane.queue.length);
  }

  function forget(lane: Lane): void {
    if (lane.queue.length === 0 && lane.active === 0 && !lane.rateTimer) lanes.delete(lane.endpoint.id);
  }

  function schedule(): void {
    for (let id = slots.grant(); id !== null && !stopping; id = slots.grant()) {
      const lane = lanes.get(id)!;
      let stale = 0;
      while (stale < lane.queue.length && lane.queue[stale].claim.lease_until - Date.now() < lane.endpoint.timeoutMs + o.leaseMarginMs) stale++;
      // They waited too long here: sending now could outlive the lease and race another worker.
      if (stale > 0) o.expired(lane.queue.splice(0, stale));
      const wait = lane.queue.length === 0 ? 0 : buckets.take(lane.endpoint.id, lane.endpoint.rateLimitPerS, Date.now());
      if (lane.queue.length === 0 || wait > 0) {
        slots.release(id);
        if (wait > 0) {
          lane.rateTimer ??= setTimeout(() => {
            lane.rateTimer = null;
            offer(lane);
            schedule();
            forget(lane);
          }, wait);
        }
        offer(lane);
        continue;
      }
      const job = lane.queue.shift()!;
      lane.active++;
      offer(lane);
      o.start(lane, job);
    }
  }

  return {
    laneFor(endpoint) {
      let lane = lanes.get(endpoint.id);
      if (!lane) {
        lane = { endpoint, queue: [], active: 0, rateTimer: null };
        lanes.set(endpoint.id, lane);
      }
      lane.endpoint = endpoint;
      return lane;
    },
    get: (id) => lanes.get(id),
    all: () => lanes.values(),
    room,
    roomForNew: (maxInFlight) => ROUNDS_HELD * slots.endpointCap(maxInFlight),
    hasRoomForRound: (lane) => room(lane) >= slots.endpointCap(lane.endpoint.maxInFlight),
    offer,
    schedule,
    done(lane) {
      lane.active--;
      slots.release(lane.endpoint.id);
      schedule();
      forget(lane);
    },
    empty(lane) {
      const jobs = lane.queue.splice(0);
      offer(lane);
      return jobs;
    },
    stop() {
      stopping = true;
      const jobs: Job[] = [];
      for (const lane of lanes.values()) {
        if (lane.rateTimer) clearTimeout(lane.rateTimer);
        lane.rateTimer = null;
        jobs.push(...lane.queue.splice(0));
        offer(lane);
      }
      return jobs;
    },
  };
}
