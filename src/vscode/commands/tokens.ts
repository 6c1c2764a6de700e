import * as vscode from 'vscode';
import { describeError, KrustletError } from '../../core/errors';
import type { TokenInfo } from '../../core/types';
import type { ConfirmOptions, FeatureCalls, FeatureContext } from '../features';
import { plainText } from '../text';
import { notify, plural, reportError } from './util';

export interface TokenCommandResult {
  done: string[];
  failed: { id: string; error: string }[];
}

function notListed(id: string): KrustletError {
  return new KrustletError('not-found', `No bootstrap token '${plainText(id)}' is listed.`, 'It was revoked or expired (the token cleaner deletes expired tokens), or another cluster is selected.', {
    fix: { kind: 'list', data: { what: 'tokens' } },
  });
}

/** Copy token: the only place the extension reads a token secret, and only onto the clipboard. */
async function copyToken(ctx: FeatureContext, id: string): Promise<boolean> {
  try {
    if (!ctx.service.tokens.get(id)) throw notListed(id);
    const cluster = await ctx.service.requireCluster();
    const tokens = await cluster.listTokens({ includeSecrets: true });
    const found = tokens.find((t) => t.id === id);
    if (!found?.secret) throw notListed(id);
    await vscode.env.clipboard.writeText(`${found.id}.${found.secret}`);
    ctx.log.info(`Copied bootstrap token ${found.id} to the clipboard (at the user's request).`);
    notify(ctx, `Bootstrap token ${found.id} copied to the clipboard.`);
    return true;
  } catch (e) {
    reportError(ctx, 'Copy token', e, () => copyToken(ctx, id));
    return false;
  }
}

async function revokeTokens(ctx: FeatureContext, ids: readonly string[], options: ConfirmOptions = {}): Promise<TokenCommandResult> {
  const result: TokenCommandResult = { done: [], failed: [] };
  const tokens = ids.map((id) => ctx.service.tokens.get(id)).filter((t): t is TokenInfo => t !== undefined);
  if (!tokens.length) {
    if (ids.length === 1) reportError(ctx, 'Revoke', notListed(ids[0]));
    return result;
  }
  if (options.confirm !== true) {
    const shown = tokens.map((t) => t.id).join(', ');
    const choice = await ctx.prompter.warning(
      tokens.length === 1 ? `Revoke bootstrap token '${shown}'?` : `Revoke ${tokens.length} bootstrap tokens (${shown})?`,
      {
        modal: true,
        detail: `This deletes the Secret${tokens.length > 1 ? 's' : ''} ${tokens.map((t) => `kube-system/${t.secretName}`).join(', ')}. Agents that have not bootstrapped yet can no longer join with ${tokens.length > 1 ? 'them' : 'it'}; nodes that already joined keep their certificates.`,
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
    for (const t of tokens) result.failed.push({ id: t.id, error: describeError(e) });
    return result;
  }
  for (const t of tokens) {
    try {
      await cluster.deleteToken(t.id);
      ctx.log.info(`Revoked bootstrap token ${t.id} (deleted kube-system/${t.secretName}).`);
      result.done.push(t.id);
    } catch (e) {
      result.failed.push({ id: t.id, error: reportError(ctx, `Revoking ${t.id} failed`, e) });
    }
  }
  if (result.done.length) notify(ctx, `Revoked ${result.done.length === 1 ? `bootstrap token ${result.done[0]}` : plural(result.done.length, 'bootstrap token')}.`);
  return result;
}

/** Copy token and Revoke. */
export function tokenCalls(ctx: FeatureContext): Pick<FeatureCalls, 'copyToken' | 'revokeTokens'> {
  return {
    copyToken: (id) => copyToken(ctx, id),
    revokeTokens: (ids, o) => revokeTokens(ctx, ids, o),
  };
}
