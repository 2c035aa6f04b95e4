/**
 * The claims of a SQLite store, held in memory instead of written as leases.
 *
 * One process owns a SQLite store (the data directory's lock file, store/database.ts), so no other
 * worker can read a lease it would write: a claim there only has to stop this process's next
 * claims from taking the same deliveries, and a crash loses the claims with the process, leaving
 * the deliveries due at once after a restart (a written lease had to run out first). Writing the
 * lease was one row write per delivery and a share of every COMMIT.
 *
 * A claim keeps the lease's other promise: it ends at its lease's end, so a delivery whose worker
 * lost track of it is claimed again then, and the lease's end identifies the claim, so an outcome
 * recorded after that (the delivery claimed again meanwhile) is not taken for the new claim's.
 *
 * Claims take the oldest due first, so the held rows are the front of the due queue and every
 * claim would walk past them and list them all. The floor avoids that: every due row placed before
 * it is held, so a claim reads from the floor on and lists only the held rows from there. A place
 * is the deliveries_due index's order, the due time and then the endpoint and the id: a backlog
 * made due in one millisecond (a burst, a recovery) is thousands of rows with one due time, which
 * a floor of due times alone could not split (every claim listed the ~300 rows held, and walked
 * past them). A claim that read the queue in order raises it (`advance`); a claim that ends
 * without its outcome (given back, its lease run out) lowers it to the start of its row's
 * millisecond. Every writer that makes a row due stamps it inside its transaction, after any
 * claim that ran before, so no row comes due behind the floor (a row stamped in the claim's own
 * millisecond may sort before the claim's last row: that millisecond is left whole); as a safety
 * net against the clock stepping back, it goes back to the start after a claim that found the
 * queue's end and at least every second.
 */
export class HeldClaims {
  /** Delivery id -> the claim: the end of the lease that holds it, and the row's place in the queue. */
  readonly #held = new Map<string, QueuePlace & { until: number }>();
  #floor: QueuePlace = QUEUE_START;
  #floorSince = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  hold(id: string, leaseUntil: number, dueAt: number, webhookId: string): void {
    this.#held.set(id, { until: leaseUntil, dueAt, webhookId, id });
  }

  /** Whether this claim (the delivery and its lease) still holds its delivery. */
  holds(id: string, leaseUntil: number): boolean {
    return this.#held.get(id)?.until === leaseUntil;
  }

  /** Whether some claim holds the delivery now (an attempt may be in progress). */
  isHeld(id: string, now: number): boolean {
    const c = this.#held.get(id);
    return c !== undefined && c.until >= now;
  }

  /** Ends this claim (its outcome committed, or it was given back); a later claim of the same delivery is left as it is. */
  release(id: string, leaseUntil: number, outcome: 'recorded' | 'given back' = 'recorded'): void {
    const c = this.#held.get(id);
    if (c?.until !== leaseUntil) return;
    this.#held.delete(id);
    // Given back, the row is due where it was: below the floor, maybe.
    if (outcome === 'given back') this.#lower(c.dueAt);
  }

  /**
   * What a claim leaves out: the deliveries held now (with their endpoints), and, for a claim that
   * reads the due queue in order, where it starts (`floor`; the queue's start for any other claim,
   * which is given every held delivery). Claims whose lease ran out end here, their rows due again
   * where they were.
   */
  forClaim(now: number, inOrder: boolean): { floor: QueuePlace; held: HeldRow[] } {
    for (const [id, c] of this.#held) {
      if (c.until >= now) continue;
      this.#held.delete(id);
      this.#lower(c.dueAt);
    }
    if (this.clock() - this.#floorSince >= FLOOR_KEPT_MS) this.#lower(0);
    const floor = inOrder ? this.#floor : QUEUE_START;
    const held: HeldRow[] = [];
    for (const c of this.#held.values()) if (!placedBefore(c, floor)) held.push({ id: c.id, webhook_id: c.webhookId });
    return { floor, held };
  }

  /**
   * A claim made at `now` read the due queue in order from the floor: every row placed before
   * `place` was held or is now, so the floor moves there. `null` when it found the queue's end:
   * back to the start. A place in the claim's own millisecond (or after it) stands for the start
   * of that millisecond, since rows stamped after the claim may still join it.
   */
  advance(place: QueuePlace | null, now: number): void {
    if (place === null) return this.#lower(0);
    const to = place.dueAt >= now ? startOf(place.dueAt) : place;
    if (placedBefore(this.#floor, to)) this.#floor = to;
  }

  get size(): number {
    return this.#held.size;
  }

  /** The floor goes back to the start of `dueAt`'s millisecond, if it is past it. */
  #lower(dueAt: number): void {
    const start = startOf(dueAt);
    if (!placedBefore(this.#floor, start)) this.#floor = start;
    if (dueAt === 0) this.#floorSince = this.clock();
  }
}

/** A place in the due queue, in the deliveries_due index's order: due time (epoch ms), endpoint, id. */
export interface QueuePlace {
  dueAt: number;
  webhookId: string;
  id: string;
}

/** Before every row. */
const QUEUE_START: QueuePlace = Object.freeze({ dueAt: 0, webhookId: '', id: '' });

/** Before every row of a millisecond. */
const startOf = (dueAt: number): QueuePlace => ({ dueAt, webhookId: '', id: '' });

/** Whether place `a` comes before place `b`, in the index's (binary) order. */
function placedBefore(a: QueuePlace, b: QueuePlace): boolean {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt;
  if (a.webhookId !== b.webhookId) return a.webhookId < b.webhookId;
  return a.id < b.id;
}

/** A held delivery, as a claim leaves it out. */
export interface HeldRow {
  id: string;
  webhook_id: string;
}

/** How long the floor is trusted before a claim reads the due queue from its start again. */
const FLOOR_KEPT_MS = 1000;
