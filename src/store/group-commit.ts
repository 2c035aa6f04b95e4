import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Tables } from './tables.ts';

/**
 * Group commit for SQLite. The store has one connection, so transactions run one after another
 * anyway, and each COMMIT writes every page the transaction touched to the WAL: the tail pages of
 * `events` and `messages` and their indexes, the same pages for the next request. Units that queue
 * up while a transaction runs therefore share the next one, each inside its own SAVEPOINT: a unit
 * that throws is rolled back alone (and rejects alone), the others commit together, and every
 * caller hears back only after the COMMIT, so nothing is acknowledged before it is durable.
 *
 * A unit alone (the idle case) runs as a plain transaction, with no savepoint.
 */
export interface GroupCommit {
  run<T>(fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T>;
}

// Bounds how long the last unit of a group waits for the units before it.
const MAX_UNITS = 64;

// Run around every unit of a group: compiled once, not built per unit.
const SAVEPOINT = CompiledQuery.raw('SAVEPOINT unit');
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO unit');
const RELEASE = CompiledQuery.raw('RELEASE unit');

interface Unit {
  fn: (trx: Transaction<Tables>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

export function createGroupCommit(db: Kysely<Tables>): GroupCommit {
  let queue: Unit[] = [];
  let draining = false;

  async function runGroup(group: Unit[]): Promise<void> {
    if (group.length === 1) {
      const [unit] = group;
      await db.transaction().execute(unit.fn).then(unit.resolve, unit.reject);
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (const unit of group) {
          await trx.executeQuery(SAVEPOINT);
          try {
            outcomes.push({ ok: true, value: await unit.fn(trx) });
          } catch (err) {
            outcomes.push({ ok: false, err });
            await trx.executeQuery(ROLLBACK_TO);
          }
          await trx.executeQuery(RELEASE);
        }
      });
    } catch (err) {
      // The COMMIT (or a rollback) failed: nothing of the group was written.
      for (const unit of group) unit.reject(err);
      return;
    }
    group.forEach((unit, i) => {
      const o = outcomes[i];
      if (o.ok) unit.resolve(o.value);
      else unit.reject(o.err);
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const group = queue.slice(0, MAX_UNITS);
        queue = queue.slice(group.length);
        await runGroup(group);
      }
    } finally {
      draining = false;
    }
  }

  return {
    run<T>(fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (!draining) {
          draining = true;
          // better-sqlite3 is synchronous, so a transaction started now would run to its COMMIT
          // in this very tick and nothing could join it. Starting after the I/O events already
          // polled lets the requests that arrived with this one queue their units first.
          setImmediate(() => void drain());
        }
      });
    },
  };
}
