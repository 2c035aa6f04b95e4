import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One row of the results: the figures BENCHMARKS.md names, null where a figure does not apply. */
export interface Row {
  deliveries_per_s: number | null;
  ratio: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  rss_mb: number | null;
  n: number | null;
  notes: string;
  /** noisy-neighbour only: company B's p99 next to company A over its p99 alone (target ≤ 2). */
  p99_ratio?: number | null;
}

export interface Results {
  machine: { cpus: number; model: string; node: string; os: string };
  started_at: string;
  scenarios: Record<string, Row>;
}

/**
 * What each scenario's ratio is compared with, for the table's verdict and the chart's target mark.
 * An `info` row (the baseline, a figure reported without a target) has neither.
 */
export type Target = { target: number; better: 'higher' | 'lower'; label: string } | { better: 'info'; label: string };

export const TARGETS: Record<string, Target> = {
  raw: { better: 'info', label: 'baseline' },
  drain: { target: 0.5, better: 'higher', label: '≥ 0.5 × raw' },
  api: { target: 0.4, better: 'higher', label: '≥ 0.4 × bare Fastify' },
  latency: { target: 1, better: 'lower', label: 'p99 / 25 ms ≤ 1' },
  'latency-max': { better: 'info', label: 'highest rate with p99 ≤ 25 ms / raw' },
  fanout: { target: 0.5, better: 'higher', label: '≥ 0.5 × raw' },
  isolation: { target: 0.9, better: 'higher', label: '≥ 0.9 × without the dead endpoint' },
  backlog: { target: 0.8, better: 'higher', label: '≥ 0.8 × drain, RSS ≤ 300 MB' },
  'peer-bullmq': { target: 1.5, better: 'higher', label: 'drain ≥ 1.5 × BullMQ' },
  'postgres-drain': { target: 0.3, better: 'higher', label: '≥ 0.3 × raw' },
  'peer-graphile-worker': { target: 1.5, better: 'higher', label: 'postgres-drain ≥ 1.5 × graphile-worker' },
  'console-overview': { target: 1, better: 'lower', label: 'p99 / 100 ms ≤ 1' },
  'noisy-neighbour': { target: 0.9, better: 'higher', label: '≥ 0.9 × B alone, p99 ≤ 2 × B alone' },
};

export function machine(): Results['machine'] {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism?.() ?? cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** Whether a row meets its target (null when it did not run or has no target). */
export function verdict(name: string, row: Row): boolean | null {
  const t = TARGETS[name];
  if (!t || t.better === 'info' || row.ratio === null) return null;
  let pass = t.better === 'higher' ? row.ratio >= t.target : row.ratio <= t.target;
  if (name === 'backlog' && row.rss_mb !== null && row.rss_mb > 300) pass = false;
  if (name === 'noisy-neighbour' && (row.p99_ratio ?? Infinity) > 2) pass = false;
  return pass;
}

const fmt = (v: number | null, digits = 0) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** The one table printed at the end. */
export function table(results: Results): string {
  const head = ['scenario', 'deliveries_per_s', 'ratio', 'p50_ms', 'p99_ms', 'rss_mb', 'n', 'notes'];
  const rows = Object.entries(results.scenarios).map(([name, r]) => {
    const v = verdict(name, r);
    return [
      name,
      fmt(r.deliveries_per_s),
      r.ratio === null ? '-' : `${r.ratio.toFixed(2)}${v === null ? '' : v ? ' ok' : ' MISS'}`,
      fmt(r.p50_ms, 1),
      fmt(r.p99_ms, 1),
      fmt(r.rss_mb),
      r.n === null ? '-' : String(r.n),
      r.notes,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w, i) => '-'.repeat(i === head.length - 1 ? 5 : w))), ...rows.map(line)].join('\n');
}

/** The same table as Markdown (for bench/README.md's "Last measured"). */
export function markdown(results: Results): string {
  const m = results.machine;
  const out = [
    `${results.started_at}, ${m.cpus} cores (${m.model}), Node ${m.node}, ${m.os}`,
    '',
    '| scenario | deliveries_per_s | ratio | p50_ms | p99_ms | rss_mb | n | notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const [name, r] of Object.entries(results.scenarios)) {
    const v = verdict(name, r);
    const ratio = r.ratio === null ? '-' : `${r.ratio.toFixed(2)}${v === null ? '' : v ? ' ✓' : ' ✗'}`;
    out.push(`| ${name} | ${fmt(r.deliveries_per_s)} | ${ratio} | ${fmt(r.p50_ms, 1)} | ${fmt(r.p99_ms, 1)} | ${fmt(r.rss_mb)} | ${r.n ?? '-'} | ${r.notes.replace(/\|/g, '/')} |`);
  }
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A hand-written SVG: one horizontal bar per scenario showing its ratio, a dark tick at its target,
 * green when the target is met, red when missed, blue-grey for rows without a target (the baseline,
 * informational figures), light grey for rows that did not run.
 */
// Room a ratio's text takes after its bar ("0.19" at 12 px is ~26 px) with a clear gap before a tick.
const LABEL_W = 44;

export function svg(results: Results): string {
  const entries = Object.entries(results.scenarios);
  const rowH = 34;
  const left = 170;
  const barW = 460;
  const right = 500;
  const top = 56;
  const width = left + barW + right;
  const height = top + entries.length * rowH + 40;
  const targetOf = (name: string) => {
    const t = TARGETS[name];
    return t && t.better !== 'info' ? t.target : null;
  };
  const maxRatio = Math.max(2, ...entries.map(([n, r]) => Math.max(r.ratio ?? 0, targetOf(n) ?? 0))) * 1.05;
  const x = (ratio: number) => Math.round((left + Math.min(1, ratio / maxRatio) * barW) * 10) / 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="22" font-size="15" font-weight="600">Switchboard benchmarks: ratio against the same-run baseline</text>`,
    `<text x="16" y="40" fill="#555">${esc(`${results.started_at} · ${results.machine.cpus} cores · ${results.machine.model} · Node ${results.machine.node}`)}</text>`,
  ];
  for (let g = 0; g <= Math.floor(maxRatio); g += maxRatio > 6 ? 2 : 1) {
    const gx = x(g);
    parts.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + entries.length * rowH}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${gx}" y="${top + entries.length * rowH + 16}" text-anchor="middle" fill="#777">${g}×</text>`);
  }
  entries.forEach(([name, r], i) => {
    const y = top + i * rowH;
    const t = TARGETS[name];
    const v = verdict(name, r);
    const colour = r.ratio === null ? '#bdbdbd' : v === null ? '#7a8fa6' : v ? '#2e9d57' : '#d0423b';
    parts.push(`<text x="${left - 10}" y="${y + 18}" text-anchor="end" font-weight="600">${esc(name)}</text>`);
    const target = targetOf(name);
    if (r.ratio !== null) {
      parts.push(`<rect x="${left}" y="${y + 6}" width="${Math.max(1, x(r.ratio) - left)}" height="18" rx="2" fill="${colour}"/>`);
      // The value goes after the bar, or after the target's tick when that falls where the value would be.
      const after = Math.min(x(r.ratio), left + barW);
      const tick = target === null ? null : x(target);
      const at = tick !== null && tick >= after && tick <= after + LABEL_W ? tick : after;
      parts.push(`<text x="${at + 6}" y="${y + 19}" fill="#222">${r.ratio.toFixed(2)}</text>`);
    } else {
      parts.push(`<rect x="${left}" y="${y + 6}" width="${barW}" height="18" rx="2" fill="none" stroke="#cfcfcf" stroke-dasharray="4 3"/>`);
    }
    if (target !== null) {
      const tx = x(target);
      parts.push(`<line x1="${tx}" y1="${y + 2}" x2="${tx}" y2="${y + 28}" stroke="#222" stroke-width="2"/>`);
    }
    const detail =
      r.ratio === null
        ? r.notes.slice(0, 70) + (r.notes.length > 70 ? '…' : '')
        : [t?.label ?? '', r.deliveries_per_s !== null ? `${Math.round(r.deliveries_per_s)}/s` : '', r.p99_ms !== null ? `p99 ${r.p99_ms.toFixed(1)} ms` : '', r.rss_mb !== null ? `${Math.round(r.rss_mb)} MB` : '']
            .filter(Boolean)
            .join(' · ');
    parts.push(`<text x="${left + barW + 44}" y="${y + 19}" fill="#444">${esc(detail)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function writeResults(file: string, results: Results): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  const svgFile = file.replace(/\.json$/i, '') + '.svg';
  fs.writeFileSync(svgFile, svg(results));
  return svgFile;
}
