import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { Commands } from '../constants';
import type { FeatureContext } from '../features';
import { TokenNode } from '../views/nodes';
import { notify, plural, reportError } from './util';

type Target = TokenNode | string | undefined;

function targets(ctx: FeatureContext, target: Target, selection: unknown): TokenNode[] {
  const fromSelection = Array.isArray(selection) ? selection.filter((n): n is TokenNode => n instanceof TokenNode) : [];
  const clicked = typeof target === 'string' ? ctx.tree.tokenNode(target) : target instanceof TokenNode ? target : undefined;
  if (clicked && fromSelection.length > 1 && fromSelection.includes(clicked)) return fromSelection;
  if (clicked) return [clicked];
  if (typeof target === 'string') return [];
  return ctx.view.selection.filter((n): n is TokenNode => n instanceof TokenNode);
}

/** Copy token: the only place the extension reads a token secret, and only onto the clipboard. */
export async function copyToken(ctx: FeatureContext, target: Target): Promise<boolean> {
  const [node] = targets(ctx, target, undefined);
  if (!node) return false;
  try {
    const cluster = await ctx.service.requireCluster();
    const tokens = await cluster.listTokens({ includeSecrets: true });
    const found = tokens.find((t) => t.id === node.info.id);
    if (!found?.secret) throw new Error(`Bootstrap token '${node.info.id}' no longer exists.`);
    await vscode.env.clipboard.writeText(`${found.id}.${found.secret}`);
    ctx.log.info(`Copied bootstrap token ${found.id} to the clipboard (at the user's request).`);
    notify(ctx, `Bootstrap token ${found.id} copied to the clipboard.`);
    return true;
  } catch (e) {
    reportError(ctx, 'Copy token', e);
    return false;
  }
}

export async function revokeTokens(ctx: FeatureContext, target: Target, selection?: unknown, options: { confirm?: boolean } = {}): Promise<{ done: string[]; failed: { id: string; error: string }[] }> {
  const result = { done: [] as string[], failed: [] as { id: string; error: string }[] };
  const nodes = targets(ctx, target, selection);
  if (!nodes.length) {
    if (typeof target === 'string') reportError(ctx, 'Revoke', new Error(`No bootstrap token '${target}' is listed.`));
    return result;
  }
  if (options.confirm !== true) {
    const ids = nodes.map((n) => n.info.id).join(', ');
    const choice = await ctx.prompter.warning(
      nodes.length === 1 ? `Revoke bootstrap token '${ids}'?` : `Revoke ${nodes.length} bootstrap tokens (${ids})?`,
      {
        modal: true,
        detail: `This deletes the Secret${nodes.length > 1 ? 's' : ''} ${nodes.map((n) => `kube-system/${n.info.secretName}`).join(', ')}. Agents that have not bootstrapped yet can no longer join with ${nodes.length > 1 ? 'them' : 'it'}; nodes that already joined keep their certificates.`,
      },
      'Revoke',
    );
    if (choice !== 'Revoke') return result;
  }
  let cluster;
  try {
    cluster = await ctx.service.requireCluster();
  } catch (e) {
    reportError(ctx, 'Revoke', e);
    for (const n of nodes) result.failed.push({ id: n.info.id, error: describeError(e) });
    return result;
  }
  for (const n of nodes) {
    try {
      await cluster.deleteToken(n.info.id);
      ctx.log.info(`Revoked bootstrap token ${n.info.id} (deleted kube-system/${n.info.secretName}).`);
      result.done.push(n.info.id);
    } catch (e) {
      result.failed.push({ id: n.info.id, error: reportError(ctx, `Revoking ${n.info.id} failed`, e) });
    }
  }
  if (result.done.length) notify(ctx, `Revoked ${result.done.length === 1 ? `bootstrap token ${result.done[0]}` : plural(result.done.length, 'bootstrap token')}.`);
  return result;
}

export function registerTokenCommands(ctx: FeatureContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.copyToken, (t?: Target) => copyToken(ctx, t)),
    vscode.commands.registerCommand(Commands.revokeToken, (t?: Target, s?: unknown, o?: { confirm?: boolean }) => revokeTokens(ctx, t, s, o)),
  ];
}
