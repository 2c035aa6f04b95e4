import fs from 'node:fs';
import path from 'node:path';

/**
 * Fenced blocks of the project's markdown, read verbatim, so that tests run the commands the docs
 * show rather than a copy of them. test/docs/commands.unit.test.ts finds the tests that read a
 * block through `docBlock(...)` or `commandBlocks(...)` (string literals only) and fails for a
 * command block that no test reads.
 */

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Fence languages whose blocks are commands a reader types. Output samples are fenced `text`. */
export const COMMAND_LANGS = new Set(['sh', 'bash', 'console', 'shell', 'zsh']);

export interface DocBlock {
  /** Relative to the repository root, e.g. `docs/troubleshooting.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The nearest heading above the block, without its `#`s (`''` before the first heading). */
  heading: string;
  /** 0-based position among the command blocks under the same heading. */
  index: number;
  text: string;
}

/** Every fenced block of a markdown file, in order. */
export function fencedBlocks(file: string): DocBlock[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  const perHeading = new Map<string, number>();
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*?)\s*$/.exec(lines[i]!);
    if (h) {
      heading = h[1]!;
      continue;
    }
    // A fence may be indented (a block inside a list item); its lines lose that indent.
    const open = /^(\s*)(`{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const lang = open[3]!.toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence); i++) body.push(lines[i]!.slice(Math.min(indent, lines[i]!.length - lines[i]!.trimStart().length)));
    const isCommand = COMMAND_LANGS.has(lang);
    const index = isCommand ? (perHeading.get(heading) ?? 0) : -1;
    if (isCommand) perHeading.set(heading, index + 1);
    blocks.push({ file, line: start + 1, lang, heading, index, text: body.join('\n') });
  }
  return blocks;
}

/** The command blocks (```sh, ```bash, ```console, ...) of a markdown file, in order. */
export function commandBlocks(file: string): DocBlock[] {
  return fencedBlocks(file).filter((b) => COMMAND_LANGS.has(b.lang));
}

/** The `index`th command block under `heading` in `file`; throws when there is none. */
export function docBlock(file: string, heading: string, index = 0): DocBlock {
  const found = commandBlocks(file).find((b) => b.heading === heading && b.index === index);
  if (!found) throw new Error(`${file} has no command block #${index} under the heading "${heading}"`);
  return found;
}

/** README.md and docs/*.md: the files whose commands must all be run by a test. */
export function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}
