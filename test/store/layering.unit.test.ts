import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The one-way data flow of DESIGN.md as a test: SQL is written in src/store/ only (routes, console
 * pages, services and the engine call store functions), and the delivery engine depends on
 * neither the services nor the server that builds it.
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const QUERY_BUILDING = /\.(selectFrom|updateTable|insertInto|deleteFrom|executeQuery)\(|\bsql`|\bsql\.raw\(/;

describe('layering', () => {
  it('writes SQL only in src/store/', () => {
    const outside = files(SRC).filter((f) => !f.startsWith(path.join(SRC, 'store') + path.sep));
    assert.ok(outside.length > 50, 'the scan found the sources');
    const offenders = outside.filter((f) => QUERY_BUILDING.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    assert.deepEqual(offenders, [], 'move these queries into a src/store/ function');
  });

  it('keeps the delivery engine free of services/ and server.ts', () => {
    const offenders = files(path.join(SRC, 'delivery')).filter((f) => /from '\.\.\/(services\/|server\.ts)/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders.map((f) => path.relative(SRC, f)), []);
  });

  it('catches a query built outside the store', () => {
    assert.ok(QUERY_BUILDING.test("await trx.deleteFrom('console_sessions').where('member_id', '=', id).execute();"));
    assert.ok(QUERY_BUILDING.test('await sql`SELECT 1`.execute(db);'));
    assert.ok(!QUERY_BUILDING.test("const kind = 'deleteFrom';"));
  });
});
