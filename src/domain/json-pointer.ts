/** One key as a JSON pointer segment (RFC 6901: `~` is `~0`, `/` is `~1`). */
export function pointerEscape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
