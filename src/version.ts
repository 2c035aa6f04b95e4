import fs from 'node:fs';

/** The package version, read once from package.json (the one place it is written). */
export const VERSION: string = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The user-agent of every outbound webhook request. */
export const USER_AGENT = `Switchboard-Webhooks/${VERSION}`;
