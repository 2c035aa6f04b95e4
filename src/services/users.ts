import { isDeepStrictEqual } from 'node:util';
import type { ServiceContext, Caller } from './context.ts';
import { inTransaction } from './context.ts';
import type { UserT } from '../domain/schemas.ts';
import { SwitchboardError, notFound } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import * as store from '../store/users.ts';

export interface UserInput {
  external_id?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  attributes?: Record<string, unknown>;
}

/** Shallow merge where a null value removes the key (Stripe-style metadata updates). */
export function mergeObject(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function createUserService(ctx: ServiceContext) {
  const { db } = ctx.database;

  async function mustGet(caller: Caller, id: string): Promise<UserT> {
    const user = await store.getUser(db, caller.companyId, id);
    if (!user) throw notFound('user', id);
    return user;
  }

  async function assertExternalIdFree(caller: Caller, externalId: string | null | undefined, self?: string) {
    if (!externalId) return;
    const owner = await store.findUserByExternalId(db, caller.companyId, externalId);
    if (owner && owner !== self) {
      throw new SwitchboardError('conflict', `A user with external_id "${externalId}" already exists (${owner}).`, 'external_id');
    }
  }

  async function write(caller: Caller, before: UserT, after: UserT): Promise<UserT> {
    const { updated_at: _a, ...x } = before;
    const { updated_at: _b, ...y } = after;
    if (isDeepStrictEqual(x, y)) return before;
    await assertExternalIdFree(caller, after.external_id, after.id);
    return inTransaction(ctx, caller.companyId, async (work) => {
      await store.updateUser(work.trx, caller.companyId, after);
      await work.emit({ type: 'user.updated', data: { user: after } });
      return after;
    });
  }

  return {
    get: mustGet,

    async list(caller: Caller, limit: number, cursor?: string) {
      const before = cursor ? decodeCursor(cursor, 'usr') : undefined;
      return pageOf(await store.listUsers(db, caller.companyId, limit + 1, before), limit);
    },

    async create(caller: Caller, input: UserInput): Promise<UserT> {
      await assertExternalIdFree(caller, input.external_id);
      const now = new Date().toISOString();
      const user: UserT = {
        id: ctx.newId('usr'),
        external_id: input.external_id ?? null,
        name: input.name ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        attributes: input.attributes ?? {},
        tags: [],
        created_at: now,
        updated_at: now,
      };
      return inTransaction(ctx, caller.companyId, async (work) => {
        await store.insertUser(work.trx, caller.companyId, user);
        await work.emit({ type: 'user.created', data: { user } });
        return user;
      });
    },

    /** PUT: the body is the whole new profile; absent fields become empty. */
    async replace(caller: Caller, id: string, input: UserInput): Promise<UserT> {
      const before = await mustGet(caller, id);
      return write(caller, before, {
        ...before,
        external_id: input.external_id ?? null,
        name: input.name ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        attributes: input.attributes ?? {},
        updated_at: new Date().toISOString(),
      });
    },

    /** PATCH: given fields replace, attributes merge (null removes a key). */
    async patch(caller: Caller, id: string, input: UserInput): Promise<UserT> {
      const before = await mustGet(caller, id);
      return write(caller, before, {
        ...before,
        external_id: input.external_id === undefined ? before.external_id : input.external_id,
        name: input.name === undefined ? before.name : input.name,
        email: input.email === undefined ? before.email : input.email,
        phone: input.phone === undefined ? before.phone : input.phone,
        attributes: input.attributes ? mergeObject(before.attributes, input.attributes) : before.attributes,
        updated_at: new Date().toISOString(),
      });
    },

    async remove(caller: Caller, id: string): Promise<void> {
      if (!(await store.deleteUser(db, caller.companyId, id))) throw notFound('user', id);
    },

    /** Applies a tag; `applied` is false (and no event is written) when the user had it. */
    async applyTag(caller: Caller, userId: string, tag: string): Promise<{ user: UserT; applied: boolean }> {
      await mustGet(caller, userId);
      return inTransaction(ctx, caller.companyId, async (work) => {
        const applied = await store.addTag(work.trx, caller.companyId, userId, tag, new Date().toISOString());
        const user = (await store.getUser(work.trx, caller.companyId, userId))!;
        if (applied) await work.emit({ type: 'tag.applied', data: { user, tag } });
        return { user, applied };
      });
    },

    async removeTag(caller: Caller, userId: string, tag: string): Promise<UserT> {
      await mustGet(caller, userId);
      return inTransaction(ctx, caller.companyId, async (work) => {
        const removed = await store.removeTag(work.trx, caller.companyId, userId, tag);
        const user = (await store.getUser(work.trx, caller.companyId, userId))!;
        if (removed) await work.emit({ type: 'tag.removed', data: { user, tag } });
        return user;
      });
    },

    tagCounts: (caller: Caller) => store.tagCounts(db, caller.companyId),
  };
}

export type UserService = ReturnType<typeof createUserService>;
