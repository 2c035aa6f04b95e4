// A node:test reporter that prints, at the end of a run, how long each test file took (its
// process from spawn to exit, as the runner measured it), slowest first, so the suite's budget
// (`npm test` under 8 minutes on a 2-CPU machine) can be watched as it grows.
// Use it next to the usual reporter:
//   --test-reporter=spec --test-reporter-destination=stdout \
//   --test-reporter=./test/reporters/durations.mjs --test-reporter-destination=stdout
// SWITCHBOARD_TEST_DURATIONS=<path> also writes the table to that file.
import fs from 'node:fs';
import path from 'node:path';

export default async function* durations(source) {
  const files = [];
  const t0 = Date.now();
  for await (const event of source) {
    if (event.type !== 'test:complete' || event.data.nesting !== 0) continue;
    const { file, name, details } = event.data;
    // The runner reports each file as a top-level test named by its path.
    if (!file || name !== file) continue;
    files.push({ file, ms: details?.duration_ms ?? 0, failed: Boolean(details?.error) });
  }
  files.sort((a, b) => b.ms - a.ms);
  let out = `\nper-file durations, slowest first (run took ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`;
  for (const f of files) {
    out += `${(f.ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), f.file)}${f.failed ? '  (failed)' : ''}\n`;
  }
  if (process.env.SWITCHBOARD_TEST_DURATIONS) fs.writeFileSync(process.env.SWITCHBOARD_TEST_DURATIONS, out);
  yield out;
}
