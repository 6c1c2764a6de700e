// The mocha runner inside the extension host (extensionTestsPath → out/test/extension/index.js).
// Loads every out/test/extension/**/*.test.js, prints one line per test (the extension host's console
// reaches the launcher's output), and writes {passed, failed, skipped, failures} to the file named by
// env KRUSTLET_TEST_RESULTS so run.ts can add the counts up. KRUSTLET_TEST_GREP selects tests by title.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID } from '../../src/vscode/constants';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** The extension can be registered a moment after the suite starts (seen ~1 in 30 runs): wait for it. */
async function waitForExtension(id: string, limitMs = 60_000): Promise<void> {
  if (vscode.extensions.getExtension(id)) return;
  await new Promise<void>((resolve, reject) => {
    const sub = vscode.extensions.onDidChange(() => {
      if (vscode.extensions.getExtension(id)) done();
    });
    const poll = setInterval(() => { if (vscode.extensions.getExtension(id)) done(); }, 250);
    const guard = setTimeout(() => {
      clearInterval(poll);
      sub.dispose();
      reject(new Error(`extension ${id} was not registered within ${limitMs} ms`));
    }, limitMs);
    function done(): void {
      clearInterval(poll);
      clearTimeout(guard);
      sub.dispose();
      resolve();
    }
  });
}

export async function run(): Promise<void> {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] as string[] };
  const resultsFile = process.env.KRUSTLET_TEST_RESULTS;
  const write = (): void => {
    if (resultsFile) writeFileSync(resultsFile, JSON.stringify(counts, null, 2));
  };
  try {
    await waitForExtension(EXTENSION_ID);
  } catch (e) {
    counts.failed++;
    counts.failures.push(`setup: ${(e as Error).message}`);
    write();
    throw e;
  }

  // KRUSTLET_TEST_GREP narrows the run to matching test titles (a developer's loop; the tier runs all)
  const grep = process.env.KRUSTLET_TEST_GREP;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, ...(grep ? { grep } : {}) });
  // our own per-test lines instead of a reporter's ANSI output
  mocha.reporter(class extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      runner.on('pass', (t) => { counts.passed++; console.log(`  ✔ ${t.fullTitle()} (${t.duration ?? 0} ms)`); });
      runner.on('fail', (t, err: Error) => {
        counts.failed++;
        counts.failures.push(`${t.fullTitle()}: ${err.message}`);
        console.log(`  ✘ ${t.fullTitle()}\n${String(err.stack ?? err.message).replace(/^/gm, '      ')}`);
      });
      runner.on('pending', (t) => { counts.skipped++; console.log(`  - ${t.fullTitle()} (skipped)`); });
      runner.on('end', () => console.log(`extension tests: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`));
    }
  });
  for (const f of testFiles(__dirname)) mocha.addFile(f);
  try {
    await mocha.loadFilesAsync();
    await new Promise<void>((resolve) => mocha.run(() => resolve()));
  } catch (e) {
    counts.failed++;
    counts.failures.push(`loading tests: ${(e as Error).message}`);
    console.log(`extension tests could not load: ${(e as Error).stack ?? String(e)}`);
  }
  write();
  if (counts.failed > 0) throw new Error(`${counts.failed} extension test(s) failed`);
}
