// Process helpers shared by the scripts (start.mjs, cluster/controlplane.mjs) and the test support
// (test/support/*.ts require this file; types in process.d.cts). Plain CommonJS so both the build-free
// .mjs scripts and the compiled tests load it as is.
//
// Every long-lived child runs in its own process group (spawn with detached: true), so that a signal
// reaches the whole tree (code-server's extension host, kube-apiserver …) and a Ctrl-C in the terminal
// reaches only us.
'use strict';
const { createServer } = require('node:net');

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** True while any process of the group led by `pid` is alive (EPERM: alive, not ours to signal). */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** True while the process `pid` itself is alive. */
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const running = (pid) => groupAlive(pid) || pidAlive(pid);

/** Sends `signal` to the group led by `pid`, or to `pid` alone when it leads no group; never throws. */
function signalGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once it is gone (or ~5 s after the SIGKILL). */
async function killGroup(pid, graceMs = 5000) {
  if (!pid || !running(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (running(pid) && Date.now() < until) await sleep(50);
  if (!running(pid)) return;
  signalGroup(pid, 'SIGKILL');
  const until2 = Date.now() + 5000;
  while (running(pid) && Date.now() < until2) await sleep(50);
}

/** For exit handlers, which cannot await: SIGKILL every group, then block (at most ~2 s) until they are gone. */
function killGroupsSync(pids) {
  for (const pid of pids) signalGroup(pid, 'SIGKILL');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 100 && pids.some(running); i++) Atomics.wait(nap, 0, 0, 20);
}

module.exports = { freePort, groupAlive, pidAlive, signalGroup, killGroup, killGroupsSync };
