// 7. The join command: `node dist/cli.js token create --print-join-command` against the kubectl way
// (bench/fixtures/kubectl-join.sh: the Secret through kubectl apply, the server and CA from kubectl config
// view, the CA hash with openssl), interleaved (ABBA) after warm-up runs; median wall and CPU time. Both
// sides must print the same CA hash (checked on every run), and every Secret made is deleted again.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRETS_PATH } from '../lib/kube.mjs';
import { interleaved, log, median, repoPath, round, summary, timedShell } from '../lib/util.mjs';

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const JOIN_RE = /^kubeadm join (\S+) --token ([a-z0-9]{6})\.[a-z0-9]{16} --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})$/;

export async function benchJoin({ cp, kube, quick }) {
  const runs = quick ? 8 : 25;
  const warmups = 2;
  const work = mkdtempSync(join(tmpdir(), 'krustlet-bench-join-'));
  const home = join(work, 'home');
  mkdirSync(home);
  const env = { ...process.env, HOME: home, KUBECONFIG: cp.kubeconfigPath };
  delete env.KUBECACHEDIR;
  const cli = repoPath('dist', 'cli.js');
  const script = repoPath('bench', 'fixtures', 'kubectl-join.sh');
  const tokenIds = new Set();
  const hashes = new Set();
  const side = (name, command) => async () => {
    const r = await timedShell(command, { env });
    const m = JOIN_RE.exec(r.stdout.trim());
    if (r.code !== 0 || !m) throw new Error(`${name} failed (${r.code}): ${r.stderr.slice(-300)}`);
    tokenIds.add(m[2]);
    hashes.add(m[3]);
    return r;
  };
  const ours = side('token create --print-join-command', `${q(process.execPath)} ${q(cli)} token create --print-join-command`);
  const anchor = side('the kubectl way', q(script));
  try {
    log(`join: ${warmups} warm-up + ${runs} interleaved runs of each`);
    const { ours: a, anchor: b } = await interleaved(ours, anchor, { warmups, runs });
    if (hashes.size !== 1) throw new Error(`the two ways gave different CA hashes (${hashes.size})`);
    const wall = { ours: median(a.map((r) => r.wallMs)), anchor: median(b.map((r) => r.wallMs)) };
    const cpu = { ours: median(a.map((r) => r.cpuMs)), anchor: median(b.map((r) => r.cpuMs)) };
    return {
      runs,
      warmups,
      ours: { wallMs: summary(a.map((r) => r.wallMs)), cpuMs: summary(a.map((r) => r.cpuMs)) },
      anchor: { wallMs: summary(b.map((r) => r.wallMs)), cpuMs: summary(b.map((r) => r.cpuMs)), processes: '3 kubectl + 3 openssl/sha256sum' },
      sameCaHash: true,
      wallRatio: round(wall.anchor / wall.ours, 2),
      cpuRatio: round(cpu.anchor / cpu.ours, 2),
      secretsCreated: tokenIds.size,
    };
  } finally {
    let deleted = 0;
    for (const id of tokenIds) {
      try {
        await kube.request('DELETE', `${SECRETS_PATH}/bootstrap-token-${id}`);
        deleted++;
      } catch (e) {
        if (e.statusCode !== 404) log(`join: could not delete bootstrap-token-${id}: ${e.message}`);
      }
    }
    log(`join: deleted ${deleted} token Secrets`);
    rmSync(work, { recursive: true, force: true });
  }
}
