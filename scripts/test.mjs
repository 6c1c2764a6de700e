// The one test command (`npm test`): builds, lints, then runs every tier and ends with a plain
// `N passed, N failed` line. Each tier writes test-results/<tier>.json ({passed, failed, skipped}).
//
//   npm test                       every tier
//   npm test -- unit integration   only those tiers
//   KRUSTLET_VSCODE_VERSIONS=4.100.3 npm test -- extension
//
// Tiers: static (typecheck + lint), unit, integration, extension (mocha in a real VS Code),
// ui (Playwright clicking through code-server). Nothing is skipped: a tier that cannot run fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const results = join(root, 'test-results');
const ALL = ['static', 'unit', 'integration', 'extension', 'ui'];
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const tiers = asked.length ? asked : ALL;
for (const t of tiers) if (!ALL.includes(t)) { console.error(`unknown tier '${t}' (known: ${ALL.join(', ')})`); process.exit(2); }

mkdirSync(results, { recursive: true });

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function nodeTest(tier) {
  const out = join(results, `${tier}.json`);
  rmSync(out, { force: true });
  const dir = join(root, 'out', 'test', tier);
  // Node 20's --test does not expand globs: list the files ourselves.
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(dir, f))
    : [];
  if (!files.length) return { passed: 0, failed: 1, note: `no compiled tests in ${dir}` };
  const status = run(process.execPath, [
    '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${out}`,
    ...files,
  ]);
  return readCounts(tier, out, status);
}

function readCounts(tier, file, status) {
  if (!existsSync(file)) return { passed: 0, failed: 1, note: `${tier}: runner exited ${status} without results` };
  const c = JSON.parse(readFileSync(file, 'utf8'));
  if (status !== 0 && c.failed === 0) c.failed = 1, c.note = `${tier}: runner exited ${status}`;
  return c;
}

const started = Date.now();
const total = { passed: 0, failed: 0, skipped: 0 };
const notes = [];
const build = run('npm', ['run', '--silent', 'build']) || run('npm', ['run', '--silent', 'compile-tests']);
if (build !== 0) {
  console.log('\nbuild failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

for (const tier of tiers) {
  let c;
  if (tier === 'static') {
    const tc = run('npx', ['tsc', '-p', '.', '--noEmit']);
    const lint = run('npx', ['eslint', '.']);
    c = { passed: (tc === 0) + (lint === 0), failed: (tc !== 0) + (lint !== 0) };
  } else if (tier === 'unit' || tier === 'integration') {
    c = nodeTest(tier);
  } else {
    // extension and ui tiers have their own runners that write test-results/<tier>-<version>.json
    const runner = join(root, 'out', 'test', tier, 'run.js');
    if (!existsSync(runner)) c = { passed: 0, failed: 1, note: `${tier}: ${runner} is missing` };
    else {
      const status = run(process.execPath, [runner]);
      c = readCounts(tier, join(results, `${tier}.json`), status);
    }
  }
  console.log(`\n[${tier}] ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`);
  if (c.note) notes.push(c.note);
  for (const f of c.failures ?? []) notes.push(`${tier}: ${f}`);
  total.passed += c.passed; total.failed += c.failed; total.skipped += c.skipped ?? 0;
}

console.log(`\nTest wall time: ${Math.round((Date.now() - started) / 1000)} s`);
if (notes.length) console.log(`\nFailures:\n  ${notes.join('\n  ')}`);
console.log(`\n${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed === 0 ? 0 : 1);
