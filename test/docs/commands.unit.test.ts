/**
 * The rule: every command in README.md and docs/*.md is run by a test.
 *
 * Convention for fences:
 * - ```sh (or bash, console, shell, zsh) holds commands a reader types, and only those. Each such
 *   block must be read verbatim from the doc by a test, which runs it:
 *   - `commandBlocks('docs/x.md')` in a test file covers every command block of that file (a
 *     generic runner such as test/docs/troubleshooting.test.ts runs them all, in order);
 *   - `docBlock('README.md', 'Heading', n)` covers the n-th (default 0) command block under that
 *     heading (test/docs/doc-commands.test.ts, test/cli/readme-first-webhook.test.ts, ...).
 *   The arguments must be string literals: this test reads the test files, it does not run them.
 *   test/helpers/doc-runner.ts says how placeholders are filled and how `# →` output is checked.
 * - Output samples, wire formats and anything else that is not typed at a prompt use ```text (or
 *   ```json, ```js, ```ts for code), never a command fence. A fence without a language is refused,
 *   so that a command cannot hide in it.
 * - NOT_RUN lists the few blocks a test cannot run, each with the reason; keep it short.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, commandBlocks, docFiles, fencedBlocks, type DocBlock } from '../helpers/doc-blocks.ts';

/** Blocks no test runs, by `file#heading#index`, with why. */
const NOT_RUN: Record<string, string> = {
  'README.md#Switchboard#0': '`npm test` is the whole suite, this test among it; `npm start` is run by the tour (doc-commands.test.ts)',
  'README.md#Development#0': '`npm test` and `npm run bench` are the whole suite and the benchmarks; `npm run dev` is run by readme-first-webhook.test.ts',
};

const keyOf = (b: Pick<DocBlock, 'file' | 'heading' | 'index'>) => `${b.file}#${b.heading}#${b.index}`;

function testFiles(dir = path.join(ROOT, 'test')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'helpers' || e.name === 'fixtures' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** What the test files declare they read: whole files and single blocks, with the test that does. */
function declared() {
  const files = new Map<string, string>();
  const blocks = new Map<string, string>();
  for (const f of testFiles()) {
    if (f === import.meta.filename) continue; // this file names the helpers in its comments
    const src = fs.readFileSync(f, 'utf8');
    const rel = path.relative(ROOT, f);
    for (const m of src.matchAll(/\bcommandBlocks\(\s*'([^']+)'\s*\)/g)) files.set(m[1]!, rel);
    for (const m of src.matchAll(/\bdocBlock\(\s*'([^']+)'\s*,\s*'([^']+)'\s*(?:,\s*(\d+)\s*)?\)/g)) {
      blocks.set(keyOf({ file: m[1]!, heading: m[2]!, index: Number(m[3] ?? 0) }), rel);
    }
  }
  return { files, blocks };
}

it('every command block of README.md and docs/*.md is run by a test', () => {
  const { files, blocks } = declared();
  const uncovered = docFiles()
    .flatMap(commandBlocks)
    .filter((b) => !files.has(b.file) && !blocks.has(keyOf(b)) && !(keyOf(b) in NOT_RUN))
    .map((b) => `${b.file}:${b.line} ${keyOf(b)}: ${b.text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))}`);
  assert.deepEqual(uncovered, [], 'command blocks no test runs: run them (see the convention at the top of this file) or fence output as ```text');
});

it('every declared block exists (a declaration is not left behind when a doc changes)', () => {
  const { files, blocks } = declared();
  const existing = new Set(docFiles().flatMap(commandBlocks).map(keyOf));
  const stale = [
    ...[...files].filter(([f]) => !fs.existsSync(path.join(ROOT, f)) || commandBlocks(f).length === 0).map(([f, t]) => `${t}: commandBlocks('${f}')`),
    ...[...blocks].filter(([k]) => !existing.has(k)).map(([k, t]) => `${t}: docBlock ${k}`),
    ...Object.keys(NOT_RUN).filter((k) => !existing.has(k)).map((k) => `NOT_RUN ${k}`),
  ];
  assert.deepEqual(stale, []);
});

it('every fence of README.md and docs/*.md names its language', () => {
  const bare = docFiles()
    .flatMap(fencedBlocks)
    .filter((b) => b.lang === '')
    .map((b) => `${b.file}:${b.line}`);
  assert.deepEqual(bare, [], 'fence these as ```text (output, wire formats) or as the command language they are');
});
