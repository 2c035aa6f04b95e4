import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateFile } from './private-files.ts';

/**
 * `serve --dev` keeps the owner key of the company it creates in this file of the data folder
 * (0600, like master.key), so `switchboard listen`, `trigger` and `events tail` run on the same
 * machine need no key to be copied. Only a development server writes it.
 */
export const DEV_KEY_FILE = 'dev-api-key';

export function saveDevKey(dataDir: string, key: string): void {
  const file = path.join(dataDir, DEV_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  ensurePrivateFile(file);
  fs.writeFileSync(file, key + '\n');
}

/** The saved development key, or null when there is none. */
export function readDevKey(dataDir: string): string | null {
  try {
    return fs.readFileSync(path.join(dataDir, DEV_KEY_FILE), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
