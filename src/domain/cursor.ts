import { SwitchboardError } from './errors.ts';

/** Opaque cursor for a list position: the base64url of the last id seen. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The id inside a cursor; a cursor that is not one of ours (or of another list) is a 400. */
export function decodeCursor(cursor: string, prefix: string): string {
  const id = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`).test(id)) {
    throw new SwitchboardError('invalid_cursor', undefined, 'cursor');
  }
  return id;
}

/** Splits a page fetched with limit+1 rows into the page and the next cursor. */
export function pageOf<T extends { id: string }>(rows: T[], limit: number): { data: T[]; next_cursor: string | null } {
  if (rows.length <= limit) return { data: rows, next_cursor: null };
  const data = rows.slice(0, limit);
  return { data, next_cursor: encodeCursor(data[data.length - 1].id) };
}
