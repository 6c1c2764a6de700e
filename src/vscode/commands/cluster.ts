import * as vscode from 'vscode';
import type { Cluster } from '../../core/cluster';
import { listContexts } from '../../core/kubeconfig';
import { applyBootstrapRbac, runPreflight } from '../../core/preflight';
import type { PreflightFinding } from '../../core/types';
import { contextSetting, kubeconfigSetting, updateContextSetting } from '../config';
import type { ConfirmOptions, FeatureCalls, FeatureContext } from '../features';
import { type FixButton, fixButtons } from '../fixes';
import { MAX_DETAIL, plainText } from '../text';
import { notify, plural, reportError } from './util';

async function selectContext(ctx: FeatureContext, options: { context?: string } = {}): Promise<string | undefined> {
  let chosen = options.context;
  if (chosen === undefined) {
    let contexts;
    try {
      contexts = listContexts({ kubeconfigPath: kubeconfigSetting() });
    } catch (e) {
      reportError(ctx, 'Select context', e);
      return undefined;
    }
    const current = contextSetting();
    chosen = await ctx.prompter.quickPick(
      [
        ...contexts.map((c) => ({
          label: c.name,
          description: [c.current ? 'current' : undefined, c.name === current ? 'selected' : undefined].filter(Boolean).join(', '),
          detail: `${c.server ?? '(no server)'} · cluster ${c.cluster} · user ${c.user}`,
          value: c.name,
        })),
        { label: '$(discard) Follow the kubeconfig\'s current context', description: 'clears krustlet.context', value: '' },
      ],
      { title: 'Krustlet: Select Kubeconfig Context', placeHolder: 'The context the Krustlet view and Bootstrap use' },
    );
    if (chosen === undefined) return undefined;
  }
  // The ClusterService follows the setting (it reconnects).
  await updateContextSetting(chosen);
  ctx.log.info(chosen ? `Context set to '${chosen}'.` : 'Following the kubeconfig\'s current context.');
  return chosen;
}

async function runPreflightCommand(ctx: FeatureContext): Promise<PreflightFinding[] | undefined> {
  try {
    const cluster = await ctx.service.requireCluster();
    const findings = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Krustlet: running preflight checks…' },
      () => runPreflight(cluster),
    );
    for (const f of findings) ctx.log[f.ok ? 'info' : 'warn'](`Preflight ${f.ok ? 'ok  ' : 'FAIL'} ${f.message}${!f.ok && f.fix ? ` Fix: ${f.fix}` : ''}`);
    const bad = findings.filter((f) => !f.ok);
    if (!bad.length) {
      notify(ctx, `Preflight: all ${plural(findings.length, 'check')} pass on ${cluster.context.name}.`);
    } else {
      // Each finding's action as a button (Apply RBAC, Select Context …), once, then Show Log.
      const buttons = new Map<string, FixButton>();
      for (const b of bad.flatMap((f) => fixButtons(ctx.calls, f.action))) if (!buttons.has(b.label)) buttons.set(b.label, b);
      buttons.set('Show Log', { label: 'Show Log', run: () => ctx.log.show() });
      const first = `${bad[0].message}${bad[0].fix ? ` ${bad[0].fix}` : ''}`;
      void ctx.prompter
        .warning(plainText(`Preflight: ${plural(bad.length, 'problem')} on ${cluster.context.name}. ${first}`, MAX_DETAIL), {}, ...buttons.keys())
        .then((choice) => choice && buttons.get(choice)?.run());
    }
    return findings;
  } catch (e) {
    reportError(ctx, 'Preflight', e);
    return undefined;
  }
}

/** Creates kubeadm's bindings on `cluster` (already confirmed), says so, and drops a kept preflight result. Throws on failure. */
export async function applyRbacOn(ctx: FeatureContext, cluster: Cluster): Promise<void> {
  const results = await applyBootstrapRbac(cluster);
  ctx.service.invalidatePreflight('Apply RBAC');
  ctx.log.info(`Bootstrap RBAC bindings on ${cluster.context.name}: ${results.map((r) => `${r.name} ${r.result}`).join(', ')}.`);
  notify(ctx, `Bootstrap RBAC bindings are in place on ${cluster.context.name}.`);
}

async function applyRbac(ctx: FeatureContext, options: ConfirmOptions = {}): Promise<boolean> {
  try {
    const cluster = await ctx.service.requireCluster();
    if (options.confirm !== true) {
      const choice = await ctx.prompter.warning(
        `Create kubeadm's bootstrap RBAC bindings on ${cluster.context.name}?`,
        {
          modal: true,
          detail:
            'kubeadm:kubelet-bootstrap (bootstrap tokens may create CSRs), kubeadm:node-autoapprove-bootstrap (their first client certificate is approved automatically) and kubeadm:node-autoapprove-certificate-rotation (nodes may renew it). Existing bindings are left as they are.',
        },
        'Apply RBAC',
      );
      if (choice !== 'Apply RBAC') return false;
    }
    await applyRbacOn(ctx, cluster);
    return true;
  } catch (e) {
    reportError(ctx, 'Apply RBAC', e);
    return false;
  }
}

/** Refresh, Select Context, Run Preflight, Apply RBAC, Show Log. */
export function clusterCalls(ctx: FeatureContext): Pick<FeatureCalls, 'refresh' | 'selectContext' | 'runPreflight' | 'applyRbac' | 'showLog'> {
  return {
    refresh: () => ctx.service.reconnect('refresh'),
    selectContext: (o) => selectContext(ctx, o),
    runPreflight: () => runPreflightCommand(ctx),
    applyRbac: (o) => applyRbac(ctx, o),
    showLog: () => ctx.log.show(),
  };
}
