import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type Running } from './cli.ts';
import { ROOT, type DocBlock } from './doc-blocks.ts';

/**
 * Runs the command blocks of a doc with bash, as a reader would type them, and checks what they
 * print. The rules, which are the only liberties taken with the text:
 *
 * - A block is cut into steps at blank lines; each step runs in its own `bash -e`, in the
 *   repository root. Shell variables a step assigns at the start of a line (`KEY=...`,
 *   `export X=...`) carry over to the later steps and blocks of the same session.
 * - Placeholders, in command lines only (never in comments):
 *   - `NAME=value` where the test gives `vars.NAME`: the value is replaced by the test's (a key,
 *     the server's address, an endpoint id: what the doc tells the reader to put there);
 *   - an id written `usr_01J...` / `dlv_...` (any Switchboard id prefix followed by `...`) is the
 *     first id of that prefix in the output of the latest step that printed one ("use the id
 *     printed above");
 *   - the test's `replace` pairs (e.g. a fixed port that must be a free one), each said in the test.
 * - Expected output: a comment line `# → TEXT`, continued by comment lines that start with `#` and
 *   three or more spaces, must match what the step printed (stdout, then stderr), where `...`
 *   stands for anything, `<prefix>_01J...` for an id, and `127.0.0.1:8080` for 127.0.0.1 on any port.
 * - A step whose `# →` lines come last, that prints that output and is still running a second
 *   later, is a server (or `listen`): it keeps running until the session closes, then gets SIGINT.
 * - A step that only reads (no `-d`, `-X`, `--data`) and has not printed its expected output yet
 *   is run again for up to 15 s: deliveries are asynchronous, for the reader as for the test.
 * - Every step must exit 0 (or be a server) within 60 s.
 */

export const ID_PREFIXES = ['usr', 'conv', 'msg', 'evt', 'wh', 'dlv', 'att', 'agt', 'key', 'cmp', 'log', 'mbr'];

export interface StepResult {
  command: string;
  out: string;
  err: string;
}

export interface DocRunOptions {
  env?: NodeJS.ProcessEnv;
  vars?: Record<string, string | (() => string)>;
  replace?: [string, string | (() => string)][];
  cwd?: string;
}

const STEP_TIMEOUT_MS = 60_000;
const READ_RETRY_MS = 15_000;
const SERVER_GRACE_MS = 1_000;

/** The regular expression an expected-output comment stands for. */
export function expectationPattern(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = escaped
    .replace(/_01J\\\.\\\.\\\./g, '_[0-9A-Za-z]+')
    .replace(/\\\.\\\.\\\./g, '[\\s\\S]*?')
    .replace(/127\\\.0\\\.0\\\.1:8080/g, '127\\.0\\.0\\.1:\\d+');
  return new RegExp(pattern);
}

interface Step {
  lines: string[];
  expected: string[];
  /** The expected output closes the step (nothing runs after it): the step may be a server. */
  mayServe: boolean;
}

/** Cuts a block into steps at blank lines and collects each step's `# →` expectations. */
export function stepsOf(block: string): Step[] {
  const steps: Step[] = [];
  for (const chunk of block.split(/\n\s*\n/)) {
    const lines = chunk.split('\n').filter((l) => l.trim() !== '');
    if (lines.every((l) => l.trimStart().startsWith('#'))) continue; // a comment paragraph
    const expected: string[] = [];
    let current: string | null = null;
    for (const l of lines) {
      const t = l.trim();
      const arrow = /^#\s*→\s?(.*)$/.exec(t);
      if (arrow) {
        if (current !== null) expected.push(current);
        current = arrow[1]!.trim();
      } else if (current !== null && /^#\s{3,}/.test(t)) {
        current += t.replace(/^#\s+/, '');
      } else if (current !== null) {
        expected.push(current);
        current = null;
      }
    }
    if (current !== null) expected.push(current);
    const lastCommand = lines.findLastIndex((l) => !l.trim().startsWith('#'));
    const lastArrow = lines.findLastIndex((l) => /^#\s*→/.test(l.trim()));
    steps.push({ lines, expected, mayServe: lastArrow > lastCommand });
  }
  return steps;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class DocSession {
  readonly results: StepResult[] = [];
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-doc-'));
  private readonly state = path.join(this.dir, 'state.sh');
  private readonly servers: Running[] = [];
  private lastIds = new Map<string, string>();
  private stepNo = 0;

  constructor(private readonly opts: DocRunOptions = {}) {
    fs.writeFileSync(this.state, '');
  }

  /** Runs every step of a block; throws with the block's file and line when one fails. */
  async runBlock(block: DocBlock): Promise<StepResult[]> {
    const out: StepResult[] = [];
    for (const step of stepsOf(block.text)) {
      try {
        out.push(await this.runStep(step));
      } catch (err) {
        throw new Error(`${block.file}:${block.line} (under "${block.heading}"): ${(err as Error).message}`);
      }
    }
    return out;
  }

  private substitute(line: string): string {
    if (line.trimStart().startsWith('#')) return line;
    let l = line;
    const assign = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(\S*)(.*)$/.exec(l);
    if (assign && this.opts.vars && assign[2]! in this.opts.vars) {
      const v = this.opts.vars[assign[2]!]!;
      l = `${assign[1]}${assign[2]}=${shellQuote(typeof v === 'function' ? v() : v)}${assign[4]}`;
    }
    for (const [from, to] of this.opts.replace ?? []) l = l.split(from).join(typeof to === 'function' ? to() : to);
    l = l.replace(new RegExp(`\\b(${ID_PREFIXES.join('|')})_(?:01J)?\\.\\.\\.`, 'g'), (m, prefix: string) => {
      const id = this.lastIds.get(prefix);
      if (!id) throw new Error(`the command uses ${m} but no earlier step printed a ${prefix}_ id: ${line}`);
      return id;
    });
    return l;
  }

  private noteIds(text: string) {
    for (const prefix of ID_PREFIXES) {
      for (const m of text.matchAll(new RegExp(`\\b${prefix}_[0-9A-Za-z]{20,}`, 'g'))) {
        // The catalog examples of test events carry the word EXAMP1E: never a real resource.
        if (m[0].includes('EXAMP1E')) continue;
        this.lastIds.set(prefix, m[0]);
        break;
      }
    }
  }

  private async runStep(step: Step): Promise<StepResult> {
    const commandLines = step.lines.map((l) => this.substitute(l));
    const command = commandLines.join('\n');
    const assigned = [...new Set(commandLines.map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(l)?.[1]).filter((n): n is string => !!n))];
    const script = path.join(this.dir, `step-${++this.stepNo}.sh`);
    fs.writeFileSync(
      script,
      [`set -e -o pipefail`, `source ${shellQuote(this.state)}`, command, ...assigned.map((n) => `declare -p ${n} >> ${shellQuote(this.state)}`), ''].join('\n'),
    );
    const readOnly = !/(^|\s)(-d|-X|--data\S*)\s/.test(command);
    const patterns = step.expected.map(expectationPattern);
    const deadline = Date.now() + READ_RETRY_MS;
    for (;;) {
      const p = run('bash', [script], { cwd: this.opts.cwd ?? ROOT, env: { ...process.env, ...this.opts.env }, detached: true });
      const printed = () => p.out() + '\n' + p.err();
      const matched = () => patterns.every((re) => re.test(printed()));
      const outcome = await new Promise<'exited' | 'server' | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), STEP_TIMEOUT_MS);
        let grace: NodeJS.Timeout | undefined;
        p.exited.then(() => {
          clearTimeout(timer);
          clearTimeout(grace);
          resolve('exited');
        });
        const check = () => {
          if (grace || !step.mayServe || patterns.length === 0 || !matched()) return;
          grace = setTimeout(() => {
            clearTimeout(timer);
            resolve('server');
          }, SERVER_GRACE_MS);
        };
        p.child.stdout!.on('data', check);
        p.child.stderr!.on('data', check);
      });
      const result = { command, out: p.out(), err: p.err() };
      if (outcome === 'server') {
        this.servers.push(p);
        this.noteIds(p.out());
        this.results.push(result);
        return result;
      }
      if (outcome === 'timeout') {
        await p.stop('SIGKILL');
        throw new Error(`step did not finish in ${STEP_TIMEOUT_MS / 1000} s:\n${command}\nstdout: ${p.out()}\nstderr: ${p.err()}`);
      }
      const code = await p.exited;
      const missing = patterns.filter((re) => !re.test(printed()));
      if (code === 0 && missing.length === 0) {
        this.noteIds(p.out());
        this.results.push(result);
        return result;
      }
      if (code === 0 && readOnly && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      throw new Error(
        `step ${code === 0 ? 'did not print ' + missing.map(String).join(' and ') : 'exited with ' + code}:\n${command}\nstdout: ${p.out()}\nstderr: ${p.err()}`,
      );
    }
  }

  /** Ends the servers the steps started (SIGINT, as Ctrl-C) and removes the session's files. */
  async close(): Promise<void> {
    for (const s of this.servers.reverse()) {
      const exited = s.stop('SIGINT');
      const timer = setTimeout(() => s.stop('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
