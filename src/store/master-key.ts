import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The key material that encrypts secrets at rest: SWITCHBOARD_MASTER_KEY when set, else a random
 * key kept in `<data dir>/master.key` (created 0600 on first start). Several processes on one
 * PostgreSQL must share it, so they should set the variable.
 */
export function loadMasterKey(configured: string | null, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'master.key');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process won the race to create it: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}
