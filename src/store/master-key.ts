import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { masterKeyProblem } from '../config.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Database } from './database.ts';
import { ensurePrivateDir, FILE_MODE, tightenIfPresent } from './private-files.ts';

/** The master key does not fit this store, or is unusable: the process must not start. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/**
 * The key material that encrypts secrets at rest: SWITCHBOARD_MASTER_KEY when set (config.ts has
 * checked it), else a random key kept in `<data dir>/master.key`, created 0600 on first start.
 * Only the embedded SQLite store may use the file; on PostgreSQL config.ts requires the variable.
 */
export function loadMasterKey(configured: string | null, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'master.key');
  const existing = readKeyFile(file);
  if (existing !== null) return existing;
  ensurePrivateDir(dataDir);
  const key = crypto.randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, key + '\n', { mode: FILE_MODE, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process won the race to create it: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file)!;
    throw err;
  }
}

function readKeyFile(file: string): string | null {
  let key: string;
  try {
    key = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  tightenIfPresent(file);
  const problem = masterKeyProblem(key);
  if (problem) throw new MasterKeyError(`the master key in ${file} ${problem}`);
  return key;
}

// One row, written by the first process that starts on a store.
const CHECK_ID = 'v1';
// Sealed signing secrets looked at when a store from before the check has none yet.
const SAMPLE = 20;

/**
 * Makes sure this process's master key is the one the store's secrets were sealed with, before it
 * serves or delivers anything: the first start stores the key's check value (an HMAC, which does
 * not reveal the key), every later start compares. A process with another key, a replaced
 * master.key file or a forgotten SWITCHBOARD_MASTER_KEY is refused with a one-line error instead
 * of failing every delivery later.
 */
export async function verifyMasterKey(database: Database, secrets: SecretBox, logger: Logger): Promise<void> {
  const { db } = database;
  const mine = secrets.checkValue();
  let stored = await readCheck(database);
  if (stored === null) {
    // A store that predates the check: adopt this key only if it opens the secrets already there.
    const sealed = await db.selectFrom('webhooks').select('secret').orderBy('id').limit(SAMPLE).execute();
    const opened = sealed.filter((r) => opens(secrets, r.secret)).length;
    if (sealed.length > 0 && opened === 0) throw mismatch();
    if (opened < sealed.length) {
      logger.warn({ opened, sampled: sealed.length }, 'some webhook endpoints were sealed with another master key; their deliveries fail until they are saved again');
    }
    await db
      .insertInto('master_key_check')
      .values({ id: CHECK_ID, value: mine, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    // Two processes starting together on an empty store: the first insert wins, the other compares.
    stored = await readCheck(database);
  }
  if (stored !== mine) throw mismatch();
}

async function readCheck(database: Database): Promise<string | null> {
  const row = await database.db.selectFrom('master_key_check').select('value').where('id', '=', CHECK_ID).executeTakeFirst();
  return row?.value ?? null;
}

function opens(secrets: SecretBox, sealed: string): boolean {
  try {
    secrets.open(sealed);
    return true;
  } catch {
    return false;
  }
}

function mismatch(): MasterKeyError {
  return new MasterKeyError(
    'the master key differs from the one this store was first started with (its secrets cannot be decrypted); ' +
      'set SWITCHBOARD_MASTER_KEY to that key (on SQLite: restore the original master.key in the data directory)',
  );
}
