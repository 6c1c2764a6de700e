// 4b. Size: the two bundles (raw and gzip) and the .vsix made by `vsce package --no-dependencies`.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { log, repoPath, run } from '../lib/util.mjs';

const kb = (bytes) => Math.round(bytes / 102.4) / 10;

function fileSize(p) {
  if (!existsSync(p)) return undefined;
  const buf = readFileSync(p);
  return { bytes: buf.length, kB: kb(buf.length), gzipKB: kb(gzipSync(buf, { level: 9 }).length) };
}

/** What each bundle is made of: kB per npm package (and 'src'), from an esbuild metafile of the same build. */
async function composition(entry) {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [repoPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    external: ['vscode'],
    write: false,
    metafile: true,
    outfile: join(tmpdir(), 'krustlet-bench-composition.js'),
    logLevel: 'error',
  });
  const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint);
  const by = {};
  for (const [p, v] of Object.entries(out.inputs)) {
    const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(p);
    const k = m ? m[1] : 'src';
    by[k] = (by[k] ?? 0) + v.bytesInOutput;
  }
  return Object.fromEntries(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => [k, kb(v)]));
}

export async function benchSize() {
  const out = {
    extensionJs: fileSize(repoPath('dist', 'extension.js')),
    cliJs: fileSize(repoPath('dist', 'cli.js')),
  };
  try {
    if (out.extensionJs) out.extensionJs.topKB = await composition('src/extension.ts');
    if (out.cliJs) out.cliJs.topKB = await composition('src/cli/main.ts');
  } catch (e) {
    out.compositionError = String(e.message ?? e).slice(0, 300);
  }
  const dir = mkdtempSync(join(tmpdir(), 'krustlet-bench-vsix-'));
  try {
    const vsix = join(dir, 'krustlet-bootstrap.vsix');
    log('size: vsce package --no-dependencies');
    const r = await run('npx', ['--no-install', 'vsce', 'package', '--no-dependencies', '-o', vsix], { cwd: repoPath(), timeoutMs: 180_000, input: '' });
    if (r.code === 0 && existsSync(vsix)) {
      const files = /\((\d+) files?,/.exec(r.stdout);
      out.vsix = { bytes: statSync(vsix).size, kB: kb(statSync(vsix).size), files: files ? Number(files[1]) : undefined };
    } else {
      out.vsix = { error: `vsce package failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
