// Imported before tsx by `npm test` (see package.json): the packages the server loads, so each
// test file's process links their files with Node's own loader instead of a round trip per file
// to tsx's hooks thread (as bin/switchboard.js does for the CLI). Only a speed-up.
await Promise.all(
  [
    'commander', 'pino', 'better-sqlite3', 'pg', 'kysely', 'prom-client', 'undici', 'ipaddr.js', 'fastify', '@fastify/swagger',
    '@fastify/swagger-ui', 'ajv', 'ajv-formats', 'secure-json-parse', 'typebox', '@fastify/cookie', '@fastify/formbody',
    'fastest-levenshtein', 're2js',
  ].map((name) => import(name)),
);
