import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toNodeFact, watchFiles } from '../../src/core/agent/watch';

void test('watchFiles: initial state, then files appearing in folders that do not exist yet, and going away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-watch-'));
  const a = join(dir, 'data', 'config', 'kubeconfig');
  const b = join(dir, 'bootstrap.conf');
  writeFileSync(b, 'x');
  const seen: string[] = [];
  let wake: (() => void) | undefined;
  const until = (n: number) => new Promise<void>((resolve) => {
    if (seen.length >= n) return resolve();
    wake = () => seen.length >= n && resolve();
  });
  const w = watchFiles([a, b], (p, exists) => {
    seen.push(`${p === a ? 'a' : 'b'}:${exists}`);
    wake?.();
  }, { persistent: true });
  try {
    assert.deepEqual(seen, ['a:false', 'b:true']);
    mkdirSync(join(dir, 'data', 'config'), { recursive: true });
    writeFileSync(a, '{}');
    await until(3);
    assert.equal(seen[2], 'a:true');
    unlinkSync(b);
    await until(4);
    assert.equal(seen[3], 'b:false');
  } finally {
    w.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('toNodeFact reads the Ready condition', () => {
  assert.deepEqual(
    toNodeFact({ metadata: { name: 'n', resourceVersion: '5' }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-01-02T03:04:05Z' }] } }),
    { name: 'n', ready: true, reason: 'KubeletReady', message: undefined, heartbeat: new Date('2026-01-02T03:04:05Z'), resourceVersion: '5' },
  );
  assert.equal(toNodeFact({ metadata: { name: 'n' } })?.ready, undefined);
  assert.equal(toNodeFact({}), undefined);
});
