// Small helpers shared by the bench sections: statistics, timed child processes with their CPU time,
// the machine's description and load, and the final table. Plain Node, no dependencies.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH_DIR);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ statistics
export function quantile(values, q) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
export const median = (v) => quantile(v, 0.5);
/**
 * Warm-up runs of each side, then `runs` interleaved pairs in ABBA order (neither side always goes
 * first). Returns each side's results in run order.
 */
export async function interleaved(ours, anchor, { warmups, runs }) {
  for (let i = 0; i < warmups; i++) {
    await ours();
    await anchor();
  }
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(await ours());
      b.push(await anchor());
    } else {
      b.push(await anchor());
      a.push(await ours());
    }
  }
  return { ours: a, anchor: b };
}

export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

/** {n, min, p50, p95, max, mean} rounded to 0.1 ms (or the unit of the values). */
export function summary(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return {
    n: v.length,
    min: round(Math.min(...v)),
    p50: round(quantile(v, 0.5)),
    p95: round(quantile(v, 0.95)),
    max: round(Math.max(...v)),
    mean: round(v.reduce((a, b) => a + b, 0) / (v.length || 1)),
  };
}

// ------------------------------------------------------------------ processes
/**
 * Runs `bash -c '<command> ; times'`: wall time measured here, CPU time (user + sys of the command and
 * all its children, reaped) from bash's `times` builtin, which reports RUSAGE_CHILDREN at 10 ms
 * granularity. The same wrapper serves both sides of a comparison, so its own cost cancels out.
 */
export function timedShell(command, { env, cwd, timeoutMs = 60_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const script = `${command}\n__rc=$?\necho "@@TIMES@@" >&2\ntimes >&2\nexit $__rc\n`;
    const t0 = performance.now();
    const child = spawn('bash', ['-c', script], { env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      try { child.kill('SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const [errText, timesText = ''] = stderr.split('@@TIMES@@\n');
      const lines = timesText.trim().split('\n');
      // line 2: children's user and sys, e.g. "0m1.234s 0m0.210s"
      const secs = (s) => {
        const m = /(\d+)m([\d.]+)s/.exec(s ?? '');
        return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
      };
      const [u, s] = (lines[1] ?? '').trim().split(/\s+/);
      const cpuMs = (secs(u) + secs(s)) * 1000;
      resolve({ code: signal ? -1 : code, signal, wallMs, cpuMs, userMs: secs(u) * 1000, sysMs: secs(s) * 1000, stdout, stderr: errText });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Runs a command, resolves with {code, stdout, stderr, wallMs}; never rejects on a non-zero exit. */
export function run(cmd, args, { env, cwd, timeoutMs = 300_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      try { child.kill('SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? -1 : code, signal, stdout, stderr, wallMs: performance.now() - t0 });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

// ------------------------------------------------------------------ machine
export function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch { /* not Linux */ }
  return {
    nproc: cpus().length,
    cpuModel,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const load = () => loadavg().map((x) => round(x, 2));

/** The [1, 5, 15]-minute load averages before and after `fn`, kept with a section's figures. */
export async function withLoad(fn) {
  const before = load();
  const result = await fn();
  return { ...result, load: { before, after: load() } };
}

// ------------------------------------------------------------------ output
export function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export function fmt(x, unit = '') {
  if (x === undefined || x === null) return '–';
  if (typeof x === 'string') return x;
  if (typeof x === 'boolean') return x ? 'yes' : 'no';
  if (!Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  const s = abs >= 100 ? x.toFixed(0) : abs >= 10 ? x.toFixed(1) : x.toFixed(2);
  return `${s}${unit ? ` ${unit}` : ''}`;
}

/** rows: {metric, ours, anchor, ratio, goal, met} (strings or numbers); prints an aligned table. */
export function table(rows) {
  const cols = ['metric', 'ours', 'anchor', 'ratio', 'goal', 'met?'];
  const keys = ['metric', 'ours', 'anchor', 'ratio', 'goal', 'met'];
  const cells = rows.map((r) => keys.map((k) => (r[k] === undefined || r[k] === null ? '–' : typeof r[k] === 'boolean' ? (r[k] ? 'yes' : 'NO') : String(r[k]))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function repoPath(...p) {
  return join(ROOT, ...p);
}

/** The absolute path of a command on PATH (like `command -v`). */
export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir || '.', cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  throw new Error(`${cmd} is not on PATH`);
}

/**
 * Counts the HTTPS requests this process sends to `server` (wraps node:https.request; the product's
 * transport and client-node's watch both go through it). since(t0, t1) → [{t, method, path}].
 */
export function requestCounter(server, https) {
  const url = new URL(server);
  const seen = [];
  const orig = https.request;
  https.request = function countedRequest(...args) {
    const req = orig.apply(this, args);
    try {
      const h = String(req.getHeader('host') ?? req.host);
      if (h === url.host || h.endsWith(`:${url.port}`)) seen.push({ t: performance.now(), method: req.method, path: req.path });
    } catch { /* never disturb the request */ }
    return req;
  };
  return {
    since: (t0, t1 = Infinity) => seen.filter((r) => r.t >= t0 && r.t <= t1),
    uninstall: () => { https.request = orig; },
  };
}

export const shortRequest = (r) =>
  `${r.method} ${r.path.split('?')[0].replace(/\/bootstrap-token-\w+/, '/bootstrap-token-…').replace(/\/certificatesigningrequests\/[^/]+/, '/certificatesigningrequests/NAME')}${/[?&]watch=(true|1)/.test(r.path) ? ' (watch)' : ''}`;
