// The product's core for in-process measures: src/core bundled by esbuild (as scripts/build.mjs bundles
// the CLI) into node_modules/.cache/krustlet-bench/core.cjs (outside git and lint), then required.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BENCH_DIR, ROOT } from './util.mjs';

const require = createRequire(import.meta.url);

// What the in-process sections use of the core.
const ENTRY = `
export { connect } from '../../src/core/cluster';
export { createCsrInformer, createTokenInformer } from '../../src/core/cluster/informer';
`;

export async function loadCore() {
  const esbuild = await import('esbuild');
  const dir = join(ROOT, 'node_modules', '.cache', 'krustlet-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'core.cjs');
  await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: join(BENCH_DIR, 'lib'), sourcefile: 'bench-core-entry.ts', loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return require(outfile);
}
