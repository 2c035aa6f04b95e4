import type { ServiceContext, Caller } from './context.ts';
import type { ApiKeyT, RoleT, CompanyT } from '../domain/schemas.ts';
import { generateApiKey, hashApiKey, keyPrefix } from '../domain/api-keys.ts';
import { SwitchboardError, notFound } from '../domain/errors.ts';
import { keyActionRefusal } from '../domain/roles.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import * as store from '../store/api-keys.ts';
import { insertCompany } from '../store/companies.ts';

// last_used_at is informative; writing it on every request would double the write load.
const TOUCH_INTERVAL_MS = 60_000;
// Keys remembered by hash (see `authenticate`); beyond this the oldest are forgotten.
const CACHED_KEYS = 10_000;

export function createKeyService(ctx: ServiceContext) {
  const { db } = ctx.database;
  const touched = new Map<string, number>();
  /**
   * Callers by key hash, so a busy key costs no query per request. Only where one process owns the
   * store (SQLite): there every revocation goes through `remove` below, which forgets the key
   * before it answers, so "its next request answers 401" still holds. With PostgreSQL another API
   * process may revoke the key, so each request reads the row.
   */
  const cache = ctx.database.dialect === 'sqlite' ? new Map<string, Caller>() : null;
  // Bumped by every revocation: a lookup that read its row before one must not cache it after.
  let revocations = 0;

  function forget(keyId: string): void {
    revocations++;
    if (!cache) return;
    for (const [hash, c] of cache) if (c.keyId === keyId) cache.delete(hash);
  }

  async function createKey(companyId: string, name: string, role: RoleT, plaintext = generateApiKey()) {
    const now = new Date().toISOString();
    const row = {
      id: ctx.newId('key'),
      company_id: companyId,
      name,
      role,
      prefix: keyPrefix(plaintext),
      key_hash: hashApiKey(plaintext),
      created_at: now,
      last_used_at: null,
    };
    await store.insertApiKey(db, row);
    return { ...store.toApiKey(row), key: plaintext };
  }

  return {
    createKey,

    /** The caller behind a bearer key, or a 401. */
    async authenticate(plaintext: string): Promise<Caller> {
      const hash = hashApiKey(plaintext);
      let caller = cache?.get(hash);
      if (!caller) {
        const seen = revocations;
        const row = await store.findApiKeyByHash(db, hash);
        if (!row) throw new SwitchboardError('invalid_api_key');
        caller = { companyId: row.company_id, keyId: row.id, role: row.role as RoleT };
        if (cache && seen === revocations) {
          if (cache.size >= CACHED_KEYS) cache.delete(cache.keys().next().value!);
          cache.set(hash, caller);
        }
      }
      const now = Date.now();
      if ((touched.get(caller.keyId) ?? 0) + TOUCH_INTERVAL_MS < now) {
        touched.set(caller.keyId, now);
        await store.touchApiKey(db, caller.keyId, new Date(now).toISOString());
      }
      // A copy: the route handlers get their own object, never the cached one.
      return { ...caller };
    },

    async list(caller: Caller, limit: number, cursor?: string) {
      const before = cursor ? decodeCursor(cursor, 'key') : undefined;
      const rows = await store.listApiKeys(db, caller.companyId, limit + 1, before);
      return pageOf(rows.map(store.toApiKey), limit);
    },

    async create(caller: Caller, input: { name?: string; role?: RoleT }) {
      const role = input.role ?? 'agent';
      const refusal = keyActionRefusal(caller.role, 'create', role);
      if (refusal) throw new SwitchboardError('forbidden', refusal);
      return createKey(caller.companyId, input.name ?? '', role);
    },

    /** Revokes a key: never one that outranks the caller, never the company's last owner key. */
    async remove(caller: Caller, id: string): Promise<void> {
      await ctx.database.transaction(async (trx) => {
        const row = await store.findApiKey(trx, caller.companyId, id);
        if (!row) throw notFound('key', id);
        const refusal = keyActionRefusal(caller.role, 'revoke', row.role as RoleT);
        if (refusal) throw new SwitchboardError('forbidden', refusal);
        if (row.role === 'owner') {
          const owners = await store.lockOwnerKeys(trx, caller.companyId, ctx.database.dialect);
          // Revoked meanwhile by a request that held the lock first.
          if (!owners.includes(id)) throw notFound('key', id);
          if (owners.length === 1) throw new SwitchboardError('last_owner_key');
        }
        await store.deleteApiKey(trx, caller.companyId, id);
        forget(id);
      });
      // Again after the commit: a lookup that ran meanwhile read the row before the delete.
      forget(id);
      touched.delete(id);
    },

    /** Creates a company with its first owner key (server admin, and first start). */
    async createCompany(name: string, ownerKey?: string): Promise<{ company: CompanyT; key: ApiKeyT & { key: string } }> {
      const company = { id: ctx.newId('cmp'), name, created_at: new Date().toISOString() };
      await insertCompany(db, company);
      const key = await createKey(company.id, 'owner', 'owner', ownerKey);
      return { company, key };
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
