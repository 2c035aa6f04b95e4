import type { ServiceContext, Caller } from './context.ts';
import { SwitchboardError, invalid, notFound } from '../domain/errors.ts';
import { generatePassword, hashPassword, newToken, passwordProblem, tokenHash } from '../domain/passwords.ts';
import { lockCompany } from '../store/webhooks.ts';
import * as store from '../store/members.ts';

export type MemberRole = 'owner' | 'admin' | 'agent';
export const MEMBER_ROLES: readonly MemberRole[] = ['owner', 'admin', 'agent'];

/** A member as shown: never the password hash. */
export interface MemberT {
  id: string;
  company_id: string;
  email: string;
  name: string;
  role: MemberRole;
  /** False while an invited member has not chosen a password yet. */
  has_password: boolean;
  created_at: string;
}

export interface NewMember {
  email: string;
  name?: string;
  role: string;
  /** The password to set; omitted: one is generated and returned once (or, with `invite`, none). */
  password?: string;
  /** Create without a password and return a one-time link token instead. */
  invite?: boolean;
}

/** How long an invitation link stays valid. */
const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function toMember(row: store.MemberRow): MemberT {
  return {
    id: row.id,
    company_id: row.company_id,
    email: row.email,
    name: row.name,
    role: row.role as MemberRole,
    has_password: row.password_hash !== null,
    created_at: row.created_at,
  };
}

/** Emails compare without case or surrounding spaces. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkRole(role: string): MemberRole {
  if (!(MEMBER_ROLES as readonly string[]).includes(role)) throw invalid('/role', `role must be owner, admin or agent (got "${role}").`);
  return role as MemberRole;
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw invalid('/password', problem);
}

/**
 * Console members of a company. The one rule of their own: a company always keeps at least one
 * owner, so the last owner can be neither removed nor demoted.
 */
export function createMemberService(ctx: ServiceContext) {
  const { db, dialect } = ctx.database;

  async function mustGet(companyId: string, id: string) {
    const row = await store.getMember(db, companyId, id);
    if (!row) throw notFound('member', id);
    return row;
  }

  /** Runs a change to one member that might leave the company without an owner. */
  async function guardOwners(companyId: string, id: string, change: (trx: typeof db, row: store.MemberRow) => Promise<void>, leavesOwner: (row: store.MemberRow) => boolean) {
    await ctx.database.transaction(async (trx) => {
      await lockCompany(trx, dialect, companyId);
      const row = await store.getMember(trx, companyId, id);
      if (!row) throw notFound('member', id);
      if (row.role === 'owner' && !leavesOwner(row) && (await store.countOwners(trx, companyId)) <= 1) {
        throw new SwitchboardError('conflict', `${row.email} is the company's last owner; make another member an owner first.`, '/role');
      }
      await change(trx, row);
    });
  }

  return {
    /** Finds a company by id or name (the CLI's `--company`). */
    async company(idOrName: string) {
      const c = await store.findCompany(db, idOrName);
      if (!c) throw notFound('company', idOrName);
      return c;
    },

    async list(companyId: string): Promise<MemberT[]> {
      return (await store.listMembers(db, companyId)).map(toMember);
    },

    async get(companyId: string, id: string): Promise<MemberT> {
      return toMember(await mustGet(companyId, id));
    },

    /** Adds a member. Returns the generated password (shown once) or the invitation token. */
    async add(companyId: string, input: NewMember): Promise<{ member: MemberT; password?: string; inviteToken?: string }> {
      const email = normalizeEmail(input.email);
      if (email.length > 254 || !EMAIL.test(email)) throw invalid('/email', 'Give an email address like ada@example.com.');
      const name = (input.name ?? '').trim() || email.split('@')[0]!;
      if (name.length > 200) throw invalid('/name', 'name may have at most 200 characters.');
      const role = checkRole(input.role);
      let password: string | undefined;
      if (!input.invite) {
        password = input.password ?? generatePassword();
        checkPassword(password);
      }
      const now = new Date().toISOString();
      const row = {
        id: ctx.newId('mbr'),
        company_id: companyId,
        email,
        name,
        role,
        password_hash: password === undefined ? null : await hashPassword(password),
        created_at: now,
        updated_at: now,
      };
      let inviteToken: string | undefined;
      await ctx.database.transaction(async (trx) => {
        if (await store.memberByEmail(trx, email)) throw new SwitchboardError('conflict', `A member with the email ${email} already exists.`, '/email');
        await store.insertMember(trx, row);
        if (input.invite) {
          inviteToken = newToken();
          await store.insertInvite(trx, { token_hash: tokenHash(inviteToken), member_id: row.id, expires_ms: Date.now() + INVITE_TTL_MS });
        }
      });
      return {
        member: toMember(row),
        ...(input.password === undefined && password !== undefined ? { password } : {}),
        ...(inviteToken ? { inviteToken } : {}),
      };
    },

    async changeRole(companyId: string, id: string, role: string): Promise<MemberT> {
      const next = checkRole(role);
      await guardOwners(
        companyId,
        id,
        (trx) => store.updateMember(trx, id, { role: next, updated_at: new Date().toISOString() }),
        () => next === 'owner',
      );
      return toMember(await mustGet(companyId, id));
    },

    async remove(companyId: string, id: string): Promise<void> {
      await guardOwners(companyId, id, (trx) => store.deleteMember(trx, id), () => false);
    },

    /** Sets a member's password; their other sessions end (a changed password locks out a thief). */
    async setPassword(companyId: string, id: string, password: string): Promise<void> {
      checkPassword(password);
      await mustGet(companyId, id);
      const hash = await hashPassword(password);
      await ctx.database.transaction(async (trx) => {
        await store.updateMember(trx, id, { password_hash: hash, updated_at: new Date().toISOString() });
        await store.deleteSessionsOf(trx, id);
        await store.deleteInvites(trx, id);
      });
    },

    /** A fresh one-time link token for a member (replaces earlier links). */
    async invite(companyId: string, id: string): Promise<string> {
      await mustGet(companyId, id);
      const token = newToken();
      await ctx.database.transaction(async (trx) => {
        await store.deleteInvites(trx, id);
        await store.insertInvite(trx, { token_hash: tokenHash(token), member_id: id, expires_ms: Date.now() + INVITE_TTL_MS });
      });
      return token;
    },

    /** The member an unexpired invitation token belongs to, or null. */
    async inviteMember(token: string): Promise<{ id: string; companyId: string; email: string; name: string } | null> {
      const row = await store.inviteWithMember(db, tokenHash(token));
      if (!row || Number(row.expires_ms) < Date.now()) return null;
      return { id: row.id, companyId: row.company_id, email: row.email, name: row.name };
    },

    /** Spends an invitation token on a password. */
    async acceptInvite(token: string, password: string): Promise<MemberT> {
      const found = await this.inviteMember(token);
      if (!found) throw new SwitchboardError('resource_not_found', 'This invitation link has expired or was already used; ask an owner for a new one.');
      await this.setPassword(found.companyId, found.id, password);
      return toMember(await mustGet(found.companyId, found.id));
    },

    /** The Caller a signed-in member acts as: the same identity the API's services expect. */
    callerOf(member: { id: string; company_id: string; role: string }): Caller {
      return { companyId: member.company_id, keyId: member.id, role: member.role as MemberRole };
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
