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
 */
export class HeldClaims {
  /** Delivery id -> the end of the lease that holds it (epoch ms). */
  readonly #held = new Map<string, number>();

  hold(id: string, leaseUntil: number): void {
    this.#held.set(id, leaseUntil);
  }

  /** Whether this claim (the delivery and its lease) still holds its delivery. */
  holds(id: string, leaseUntil: number): boolean {
    return this.#held.get(id) === leaseUntil;
  }

  /** Whether some claim holds the delivery now (an attempt may be in progress). */
  isHeld(id: string, now: number): boolean {
    const until = this.#held.get(id);
    return until !== undefined && until >= now;
  }

  /** Ends this claim; a later claim of the same delivery is left as it is. */
  release(id: string, leaseUntil: number): void {
    if (this.#held.get(id) === leaseUntil) this.#held.delete(id);
  }

  /** The deliveries held now, for the claim to leave out; claims whose lease ran out end here. */
  ids(now: number): string[] {
    const ids: string[] = [];
    for (const [id, until] of this.#held) {
      if (until < now) this.#held.delete(id);
      else ids.push(id);
    }
    return ids;
  }

  get size(): number {
    return this.#held.size;
  }
}
