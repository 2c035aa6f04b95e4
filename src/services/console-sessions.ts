import type { ServiceContext } from './context.ts';
import { SwitchboardError } from '../domain/errors.ts';
import { newToken, tokenHash, verifyPassword } from '../domain/passwords.ts';
import * as store from '../store/members.ts';
import { normalizeEmail, type MemberRole } from './members.ts';

/** The signed-in member behind a console request. */
export interface ConsoleSession {
  member: { id: string; company_id: string; email: string; name: string; role: MemberRole };
  /** The session's CSRF token: every state-changing console request must echo it. */
  csrf: string;
}

/** Failed sign-ins are counted in fixed windows of this length. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** An address may fail this many times the per-account limit (several people behind one NAT). */
const ADDRESS_FACTOR = 4;
// seen_ms is written at most this often: one write per minute per session, not one per click.
const TOUCH_EVERY_MS = 60_000;

/**
 * Console sign-in and sessions, stored in the database so any process can serve any request.
 * The cookie carries a random token; the store keeps only its SHA-256.
 */
export function createConsoleSessionService(ctx: ServiceContext) {
  const { db } = ctx.database;
  const idleMs = () => ctx.config.consoleIdleMinutes * 60_000;
  const absoluteMs = () => ctx.config.consoleSessionHours * 3_600_000;

  async function refuseIfLimited(bucket: string, limit: number, now: number, who: string) {
    const f = await store.getFailures(db, bucket);
    if (f && now - f.windowStartMs < SIGN_IN_WINDOW_MS && f.failures >= limit) {
      const minutes = Math.max(1, Math.ceil((f.windowStartMs + SIGN_IN_WINDOW_MS - now) / 60_000));
      throw new SwitchboardError('sign_in_limited', `Too many failed sign-ins ${who}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    }
  }

  async function countFailure(bucket: string, now: number) {
    const f = await store.getFailures(db, bucket);
    if (!f || now - f.windowStartMs >= SIGN_IN_WINDOW_MS) await store.putFailures(db, bucket, 1, now);
    else await store.putFailures(db, bucket, f.failures + 1, f.windowStartMs);
  }

  return {
    /**
     * Checks email and password (rate-limited per account and per address) and opens a new
     * session. The caller drops any session the browser had, so the id changes at sign-in.
     */
    async signIn(emailInput: string, password: string, address: string): Promise<{ token: string; session: ConsoleSession }> {
      const email = normalizeEmail(emailInput);
      const limit = ctx.config.consoleSignInLimit;
      const now = Date.now();
      const accountBucket = `account:${email}`;
      const addressBucket = `address:${address}`;
      await refuseIfLimited(accountBucket, limit, now, 'for this account');
      await refuseIfLimited(addressBucket, limit * ADDRESS_FACTOR, now, 'from your address');
      const member = await store.memberByEmail(db, email);
      const ok = await verifyPassword(password, member?.password_hash ?? null);
      if (!member || !ok) {
        await countFailure(accountBucket, now);
        await countFailure(addressBucket, now);
        throw new SwitchboardError('invalid_credentials');
      }
      await store.clearFailures(db, accountBucket);
      await store.pruneSessions(db, now - absoluteMs(), now - idleMs());
      const token = newToken();
      const csrf = newToken();
      await store.insertSession(db, { id_hash: tokenHash(token), member_id: member.id, csrf_token: csrf, created_ms: now, seen_ms: now });
      return {
        token,
        session: { member: { id: member.id, company_id: member.company_id, email: member.email, name: member.name, role: member.role as MemberRole }, csrf },
      };
    },

    /** The session of a cookie token, or null when unknown or expired (idle or absolute). */
    async resolve(token: string): Promise<ConsoleSession | null> {
      const idHash = tokenHash(token);
      const row = await store.sessionWithMember(db, idHash);
      if (!row) return null;
      const now = Date.now();
      const seen = Number(row.seen_ms);
      if (now - Number(row.created_ms) > absoluteMs() || now - seen > idleMs()) {
        await store.deleteSession(db, idHash);
        return null;
      }
      if (now - seen > TOUCH_EVERY_MS) await store.touchSession(db, idHash, now);
      return {
        member: { id: row.id, company_id: row.company_id, email: row.email, name: row.name, role: row.role as MemberRole },
        csrf: row.csrf_token,
      };
    },

    async signOut(token: string): Promise<void> {
      await store.deleteSession(db, tokenHash(token));
    },
  };
}

export type ConsoleSessionService = ReturnType<typeof createConsoleSessionService>;
