// 1. Bootstrap, whole process: `node dist/cli.js bootstrap` against "the kubectl way"
// (bench/fixtures/kubectl-bootstrap.sh: the sequence of Krustlet's scripts/bootstrap.sh), each run many
// times, interleaved (ABBA order), after warm-up runs; median wall time and CPU time (user+sys of the
// process and its children), and API round trips of one extra run of each.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRETS_PATH } from '../lib/kube.mjs';
import { interleaved, log, median, repoPath, round, summary, timedShell, which } from '../lib/util.mjs';

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

export async function benchBootstrap({ cp, kube, quick }) {
  const runs = quick ? 8 : 25;
  const warmups = 2;
  const work = mkdtempSync(join(tmpdir(), 'krustlet-bench-bootstrap-'));
  // A private HOME: kubectl's discovery cache lives there (warmed by the warm-up runs), ~/.kube is not touched.
  const home = join(work, 'home');
  mkdirSync(home);
  const env = { ...process.env, HOME: home, KUBECONFIG: cp.kubeconfigPath };
  delete env.KUBECACHEDIR;
  const cli = repoPath('dist', 'cli.js');
  const script = repoPath('bench', 'fixtures', 'kubectl-bootstrap.sh');
  const tokenIds = new Set();
  let n = 0;

  const ours = async () => {
    const out = join(work, `cli-${n++}`, 'bootstrap.conf');
    const r = await timedShell(`${q(process.execPath)} ${q(cli)} bootstrap -o ${q(out)} --json`, { env });
    if (r.code !== 0) throw new Error(`krustlet-bootstrap bootstrap failed (${r.code}): ${r.stderr.slice(-500)}`);
    const j = JSON.parse(r.stdout);
    tokenIds.add(j.tokenId);
    return { ...r, tokenAccepted: j.tokenAccepted };
  };
  const anchor = async () => {
    const out = join(work, `kubectl-${n++}`, 'bootstrap.conf');
    const r = await timedShell(`OUT=${q(out)} ${q(script)}`, { env });
    if (r.code !== 0) throw new Error(`the kubectl way failed (${r.code}): ${r.stderr.slice(-500)}`);
    tokenIds.add(r.stdout.trim().split('\n').pop());
    return r;
  };

  try {
    log(`bootstrap: ${warmups} warm-up + ${runs} interleaved runs of each`);
    const { ours: a, anchor: b } = await interleaved(ours, anchor, { warmups, runs });

    // Round trips of one more run of each (not timed): the CLI's own request log (-v), and kubectl's
    // (-v=6, through a PATH shim that appends kubectl's request log to a file).
    const cliLog = await timedShell(`${q(process.execPath)} ${q(cli)} bootstrap -o ${q(join(work, 'rt-cli', 'bootstrap.conf'))} -v`, { env });
    for (const m of cliLog.stdout.matchAll(/bootstrap token (\w{6})/g)) tokenIds.add(m[1]);
    const cliRequests = cliLog.stderr.split('\n').filter((l) => /^debug: (GET|POST|PUT|PATCH|DELETE) \S+ → \d+/.test(l)).map((l) => l.replace(/^debug: /, '').replace(/ \(\d+ ms\)$/, ''));
    const shim = join(work, 'shim');
    mkdirSync(shim);
    const kubectlLog = join(work, 'kubectl-requests.log');
    writeFileSync(join(shim, 'kubectl'), `#!/bin/sh\nexec ${q(which('kubectl'))} -v=6 "$@" 2>>${q(kubectlLog)}\n`);
    chmodSync(join(shim, 'kubectl'), 0o755);
    const rt = await timedShell(`OUT=${q(join(work, 'rt-kubectl', 'bootstrap.conf'))} ${q(script)}`, { env: { ...env, PATH: `${shim}:${env.PATH}` } });
    tokenIds.add(rt.stdout.trim().split('\n').pop());
    const kubectlRequests = readFileSync(kubectlLog, 'utf8')
      .split('\n')
      .map((l) => /round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) (https?:\/\/\S+) (\d+ [^\n]*?) in \d+ milliseconds/.exec(l))
      .filter(Boolean)
      .map((m) => `${m[1]} ${new URL(m[2]).pathname} → ${m[3].split(' ')[0]}`);

    // The floor under the CLI: a bare Node start, and Node loading the CLI bundle (--version, no request).
    // With the split build, bootstrap also loads dist/kube.js (client-node): measure that load too.
    const kubeJs = repoPath('dist', 'kube.js');
    const floor = { node: [], cliLoad: [], kubeLoad: [] };
    for (let i = 0; i < (quick ? 3 : 7); i++) {
      floor.node.push(await timedShell(`${q(process.execPath)} -e 0`, { env }));
      floor.cliLoad.push(await timedShell(`${q(process.execPath)} ${q(cli)} --version`, { env }));
      if (existsSync(kubeJs)) floor.kubeLoad.push(await timedShell(`${q(process.execPath)} -e ${q(`require(${JSON.stringify(cli)}); require(${JSON.stringify(kubeJs)})`)}`, { env }));
    }
    const wall = { ours: median(a.map((r) => r.wallMs)), anchor: median(b.map((r) => r.wallMs)) };
    const cpu = { ours: median(a.map((r) => r.cpuMs)), anchor: median(b.map((r) => r.cpuMs)) };
    return {
      runs,
      warmups,
      ours: { wallMs: summary(a.map((r) => r.wallMs)), cpuMs: summary(a.map((r) => r.cpuMs)), tokenAccepted: a.every((r) => r.tokenAccepted), requests: cliRequests },
      anchor: { wallMs: summary(b.map((r) => r.wallMs)), cpuMs: summary(b.map((r) => r.cpuMs)), kubectlProcesses: 10, requests: kubectlRequests },
      floor: {
        nodeStart: { wallMs: round(median(floor.node.map((r) => r.wallMs))), cpuMs: round(median(floor.node.map((r) => r.cpuMs))) },
        cliLoad: { wallMs: round(median(floor.cliLoad.map((r) => r.wallMs))), cpuMs: round(median(floor.cliLoad.map((r) => r.cpuMs))) },
        ...(floor.kubeLoad.length ? { kubeLoad: { what: 'node loading dist/cli.js and dist/kube.js', wallMs: round(median(floor.kubeLoad.map((r) => r.wallMs))), cpuMs: round(median(floor.kubeLoad.map((r) => r.cpuMs))) } } : {}),
      },
      wallRatio: round(wall.anchor / wall.ours, 2),
      cpuRatio: round(cpu.anchor / cpu.ours, 2),
      secretsCreated: tokenIds.size,
    };
  } finally {
    // Clean up every Secret both sides created.
    let deleted = 0;
    for (const id of tokenIds) {
      if (!/^[a-z0-9]{6}$/.test(id ?? '')) continue;
      try {
        await kube.request('DELETE', `${SECRETS_PATH}/bootstrap-token-${id}`);
        deleted++;
      } catch (e) {
        if (e.statusCode !== 404) log(`bootstrap: could not delete bootstrap-token-${id}: ${e.message}`);
      }
    }
    log(`bootstrap: deleted ${deleted} token Secrets`);
    rmSync(work, { recursive: true, force: true });
  }
}
