// What every page must pass in Chromium: axe-core's serious and critical rules, one <h1>, no empty table header, nothing scrolling sideways.
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Page } from 'playwright-core';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Serious and critical axe findings on the page, one line per rule with its count and first node (minor and moderate
 * ones are not gated), plus what the console promises of every page: exactly one <h1>, no table header without text.
 */
export async function findingsOf(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
    const results = await axe.run(document, { resultTypes: ['violations'] });
    const lines = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => {
        const first = v.nodes[0];
        const why = [...first.any, ...first.all, ...first.none].map((check) => check.message).join('; ');
        return `${v.impact} ${v.id} ×${v.nodes.length}: ${why} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`;
      });
    const headings = document.querySelectorAll('h1').length;
    if (headings !== 1) lines.push(`${headings} <h1> elements`);
    const empty = [...document.querySelectorAll('th')].filter((th) => !th.textContent?.trim()).length;
    if (empty) lines.push(`${empty} empty <th>`);
    return lines;
  });
  return found;
}

/**
 * What scrolls sideways: the page itself (its width past the viewport's), or a box inside it (a table or a <pre> whose
 * content is wider than the box, which hides what an operator must read behind a scroll bar). Empty when nothing does.
 */
export function sidewaysScrolling(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const page = document.documentElement.scrollWidth - window.innerWidth;
    if (page > 0) found.push(`the page, by ${page} px`);
    for (const element of document.querySelectorAll('main *')) {
      const box = element as HTMLElement;
      if (!['auto', 'scroll'].includes(getComputedStyle(box).overflowX) || box.scrollWidth <= box.clientWidth + 1) continue;
      found.push(`${box.tagName.toLowerCase()}.${[...box.classList].join('.')}, by ${box.scrollWidth - box.clientWidth} px`);
    }
    return found;
  });
}

/** Only the pages with findings, so that a failure names them. */
export function failing(findings: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(findings).filter(([, lines]) => lines.length));
}
