// The smallest UI scenario: the workbench is up and the command palette lists the Krustlet commands.
import * as assert from 'node:assert/strict';
import { paletteQuery } from '../support/workbench';
import type { UiContext } from './run';

export async function run(ctx: UiContext): Promise<void> {
  const { page } = ctx;
  await ctx.step('the workbench is up', async () => {
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible' });
  });
  await ctx.step('palette lists Krustlet commands', async () => {
    const items = await paletteQuery(page, 'Krustlet:', (labels) => labels.some((t) => t.startsWith('Krustlet: Bootstrap')));
    const krustlet = items.filter((t) => t.startsWith('Krustlet:'));
    ctx.log(`${krustlet.length} Krustlet commands listed: ${krustlet.join(' | ')}`);
    assert.ok(krustlet.length > 0, `no Krustlet commands among: ${items.join(' | ')}`);
    await page.keyboard.press('Escape');
  });
}
