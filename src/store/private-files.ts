import fs from 'node:fs';

/**
 * The data directory and every file Switchboard keeps in it (the SQLite database and its -wal and
 * -shm files, master.key) are for the server's own user only. Creation modes are filtered by the
 * umask and an existing folder keeps whatever mode it had, so modes are set explicitly, after
 * creation, and tightened when found looser.
 */

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) and makes it 0700 even if it existed with a looser mode. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  tighten(dir, DIR_MODE);
}

/**
 * Creates `file` empty and 0600 when it does not exist, or tightens an existing one to 0600.
 * SQLite gives the -wal and -shm files it creates the mode of the database file, so creating the
 * database file first is what keeps them private too.
 */
export function ensurePrivateFile(file: string): void {
  try {
    const fd = fs.openSync(file, 'wx', FILE_MODE);
    try {
      fs.fchmodSync(fd, FILE_MODE);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    tighten(file, FILE_MODE);
  }
}

/** Tightens an existing file to 0600 when it is there (the -wal/-shm files of an earlier run). */
export function tightenIfPresent(file: string): void {
  try {
    tighten(file, FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function tighten(p: string, mode: number): void {
  if ((fs.statSync(p).mode & 0o777) !== mode) fs.chmodSync(p, mode);
}
