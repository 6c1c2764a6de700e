/**
 * The CLI installs like any CLI: `npm pack` gives a tarball that `npm install -g` installs into an
 * empty prefix offline (the bundles only: no runtime dependency to fetch), and the installed
 * `krustlet-bootstrap` runs from there — help, version, completion, and a real command.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');

let work: string;
let prefix: string;
let tarball: string;
let cp: ControlPlane | undefined;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-install-'));
  prefix = join(work, 'prefix');
  mkdirSync(prefix);
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 << 20 });
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0].filename);
  assert.deepEqual(info[0].files.map((f) => f.path).filter((p) => p.startsWith('dist/')).sort(), ['dist/cli.js', 'dist/extension.js', 'dist/kube.js', 'dist/x509.js']);
});

after(async () => {
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The installed command, with an environment that has no npm cache or registry to fall back on. */
function installed(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(join(prefix, 'bin', 'krustlet-bootstrap'), args, { cwd: work, env: { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, HOME: work } });
}

void test('npm install -g --prefix <empty> of the packed tarball needs nothing from the registry, and the command runs', async () => {
  // An unreachable registry and --offline: if the package named a runtime dependency, this install would fail.
  await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--registry', 'http://127.0.0.1:9/', tarball], {
    cwd: work,
    env: { ...process.env, npm_config_cache: join(work, 'empty-cache') },
  });
  const pkgDir = join(prefix, 'lib', 'node_modules', 'krustlet-bootstrap');
  assert.ok(existsSync(join(pkgDir, 'dist', 'cli.js')));
  assert.ok(!existsSync(join(pkgDir, 'node_modules')), 'no dependency was installed');

  const help = await installed(['--help']);
  assert.match(help.stdout, /^Usage: krustlet-bootstrap <command> \[options\]/);
  assert.match(help.stdout, /\n {2}token {9}/);
  assert.match((await installed(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  assert.match((await installed(['completion', 'bash'])).stdout, /complete -o default -F _krustlet_bootstrap krustlet-bootstrap/);
});

void test('the installed command talks to a cluster (client-node from its own bundle)', async () => {
  cp = await startControlPlane();
  const r = await installed(['token', 'create', '--print-join-command', '--kubeconfig', cp.kubeconfigPath]);
  assert.match(r.stdout, /^kubeadm join 127\.0\.0\.1:\d+ --token [a-z0-9]{6}\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}\n$/);
});
