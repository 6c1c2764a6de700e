// 4b. Size: every bundle in dist/ (raw and gzip) and the .vsix made with the project's `npm run package` flags.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

export async function benchSize() {
  // every bundle in dist/ (extension.js, cli.js and, since the split build, kube.js with client-node)
  const out = { bundles: {} };
  for (const f of readdirSync(repoPath('dist')).filter((n) => n.endsWith('.js')).sort()) out.bundles[f] = fileSize(repoPath('dist', f));
  const dir = mkdtempSync(join(tmpdir(), 'krustlet-bench-vsix-'));
  try {
    const vsix = join(dir, 'krustlet-bootstrap.vsix');
    log('size: vsce package --no-dependencies');
    // the project's own packaging flags (scripts.package), with the output redirected to a temp file
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'));
    const words = (pkg.scripts?.package ?? 'vsce package --no-dependencies').split(/\s+/).filter(Boolean);
    const flags = [];
    for (let i = 2; i < words.length; i++) {
      if (words[i] === '-o' || words[i] === '--out') i++;
      else flags.push(words[i]);
    }
    out.vsceCommand = `vsce package ${flags.join(' ')}`;
    const r = await run('npx', ['--no-install', 'vsce', 'package', ...flags, '-o', vsix], { cwd: repoPath(), timeoutMs: 180_000, input: '' });
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
