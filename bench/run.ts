/**
 * npm run bench -- [--scenario NAME[,NAME...]] [--json FILE] [--database URL] [--backlog-size N]
 *                  [--max-drain-seconds S] [--verify]
 *
 * Runs the scenarios of BENCHMARKS.md, prints one table, writes the figures as JSON (default
 * bench/results/latest.json) and an SVG chart beside it. Every ratio is against a baseline measured
 * in this same run; a scenario whose baseline was not asked for runs that baseline too. A scenario
 * that cannot run here says why in its row.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as S from './scenarios.ts';
import { killAllChildren, ROOT } from './lib/proc.ts';
import { machine, table, writeResults, markdown, type Results, type Row } from './lib/report.ts';
import { heartbeat } from './lib/progress.ts';

const ORDER = [
  'raw', 'api', 'drain', 'latency', 'latency-max', 'fanout', 'isolation', 'backlog', 'peer-bullmq', 'postgres-drain', 'peer-graphile-worker', 'console-overview', 'noisy-neighbour',
] as const;
type Name = (typeof ORDER)[number];
/** Baselines each scenario's ratio needs from the same run. */
const NEEDS: Partial<Record<Name, Name[]>> = {
  drain: ['raw'],
  fanout: ['raw'],
  'postgres-drain': ['raw'],
  backlog: ['drain'],
  'peer-bullmq': ['drain'],
  'peer-graphile-worker': ['postgres-drain'],
  'latency-max': ['raw'],
};

const { values } = parseOrExit({
  options: {
    scenario: { type: 'string' },
    json: { type: 'string', default: path.join(ROOT, 'bench/results/latest.json') },
    database: { type: 'string', default: process.env.SWITCHBOARD_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'backlog-size': { type: 'string', default: '1000000' },
    'max-drain-seconds': { type: 'string', default: '1200' },
    verify: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

/** The options, or one line naming what is wrong (an unknown flag, a missing value) and exit 2. */
function parseOrExit<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}; see npm run bench -- --help`);
    process.exit(2);
  }
}

if (values.help) {
  console.log(`usage: npm run bench -- [--scenario ${ORDER.join(',')}] [--json FILE] [--database postgres://...]
       [--backlog-size N] [--max-drain-seconds S] [--verify] [--markdown]
see bench/README.md`);
  process.exit(0);
}

const asked: Name[] = [];
for (const n of (values.scenario ?? ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
  if (!(ORDER as readonly string[]).includes(n)) {
    console.error(`unknown scenario "${n}"; known: ${ORDER.join(', ')}`);
    process.exit(2);
  }
  asked.push(n as Name);
}
const toRun = new Set<Name>();
const addWithNeeds = (n: Name) => {
  for (const d of NEEDS[n] ?? []) addWithNeeds(d);
  toRun.add(n);
};
asked.forEach(addWithNeeds);
const backlogSize = Number(values['backlog-size']);
const maxDrainSeconds = Number(values['max-drain-seconds']);
if (!Number.isInteger(backlogSize) || backlogSize < 1) throw new Error('--backlog-size must be a positive integer');

const log = (line: string) => process.stderr.write(line + '\n');
const opts: S.BenchOptions = { databaseUrl: values.database!, backlogSize, maxDrainSeconds, verify: values.verify!, log };
const base: S.Baselines = {};
const results: Results = { machine: machine(), started_at: new Date().toISOString(), scenarios: {} };

const notRun = (reason: string): Row => ({ deliveries_per_s: null, ratio: null, p50_ms: null, p99_ms: null, rss_mb: null, n: null, notes: `not run: ${reason}` });

const run: Record<Name, (o: S.BenchOptions) => Promise<Row>> = {
  raw: (o) => S.raw(o),
  api: (o) => S.apiScenario(o),
  drain: (o) => S.drain(o, base),
  latency: (o) => S.latency(o),
  'latency-max': (o) => S.latencyMax(o, base),
  fanout: (o) => S.fanout(o, base),
  isolation: (o) => S.isolation(o),
  backlog: (o) => S.backlog(o, base),
  'peer-bullmq': (o) => S.peerBullmq(o, base),
  'postgres-drain': (o) => S.postgresDrain(o, base),
  'peer-graphile-worker': (o) => S.peerGraphileWorker(o, base),
  'console-overview': (o) => S.consoleOverview(o),
  'noisy-neighbour': (o) => S.noisyNeighbour(o),
};

for (const name of ORDER) {
  if (!toRun.has(name)) continue;
  const started = Date.now();
  log(`== ${name}${asked.includes(name) ? '' : ' (baseline of another scenario)'}`);
  let r: Row;
  // Never 5 s without a line: the scenario's own progress lines, and this between them.
  const beat = heartbeat(log, name);
  try {
    r = await run[name]({ ...opts, log: beat.log });
  } catch (err) {
    if (err instanceof S.NotRun) r = notRun(err.message);
    else {
      log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      r = { ...notRun(''), notes: `failed: ${String((err as Error).message).split('\n')[0]}` };
    }
  } finally {
    beat.stop();
  }
  if (!asked.includes(name)) r.notes = `(baseline) ${r.notes}`;
  base[name] = r;
  results.scenarios[name] = r;
  log(`   ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${r.deliveries_per_s ?? '-'} /s, ratio ${r.ratio ?? '-'}, ${r.notes}`);
}

// A ratio whose baseline did not run has no meaning: say so rather than leave a silent dash.
for (const [name, needs] of Object.entries(NEEDS) as [Name, Name[]][]) {
  const r = results.scenarios[name];
  if (!r || r.ratio !== null || r.deliveries_per_s === null) continue;
  const missing = needs.filter((d) => !results.scenarios[d]?.deliveries_per_s);
  if (missing.length) r.notes += `; no ratio: ${missing.join(', ')} did not run`;
}

const svgFile = writeResults(path.resolve(values.json!), results);
console.log(table(results));
if (values.markdown) console.log('\n' + markdown(results));
log(`\nwrote ${path.relative(process.cwd(), path.resolve(values.json!))} and ${path.relative(process.cwd(), svgFile)}`);
killAllChildren();
process.exit(0);
