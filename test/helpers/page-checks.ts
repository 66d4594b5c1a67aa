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

/**
 * The elements (of `selector`) an operator cannot see without scrolling sideways: their box reaches past the viewport,
 * or past a box around them that clips or scrolls (a table's scroll box). One line each, empty when all are in view.
 */
export function outOfView(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const found: string[] = [];
    for (const element of document.querySelectorAll(selector)) {
      const box = element.getBoundingClientRect();
      if (!box.width || !box.height) continue;
      let left = 0;
      let right = window.innerWidth;
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX === 'visible') continue;
        const clip = parent.getBoundingClientRect();
        left = Math.max(left, clip.left);
        right = Math.min(right, clip.right);
      }
      if (box.left < left - 0.5 || box.right > right + 0.5) {
        const name = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30) || element.id || element.tagName.toLowerCase();
        found.push(`"${name}" at ${Math.round(box.left)}–${Math.round(box.right)} px, visible ${Math.round(left)}–${Math.round(right)} px`);
      }
    }
    return found;
  }, selector);
}

/** The elements (of `selector`) whose text is cut: wider than their box (an ellipsis, or hidden past its edge). */
export function cutText(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(
    (selector) =>
      [...document.querySelectorAll(selector)]
        .filter((element) => element.scrollWidth > element.clientWidth + 1)
        .map((element) => `"${(element.textContent ?? '').trim().slice(0, 40)}": ${element.scrollWidth} px in ${element.clientWidth} px`),
    selector,
  );
}

/** The text of each <select> (of `selector`) that its box cuts: the chosen option wider than the room for it. */
export function cutSelects(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const context = document.createElement('canvas').getContext('2d')!;
    return [...document.querySelectorAll<HTMLSelectElement>(selector)].flatMap((select) => {
      const style = getComputedStyle(select);
      context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = select.selectedOptions[0]?.text ?? '';
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const width = context.measureText(text).width;
      return width > room + 0.5 ? [`#${select.id} "${text}": ${Math.round(width)} px in ${Math.round(room)} px`] : [];
    });
  }, selector);
}

/**
 * Words in the elements of `selector` that are split across two lines: a word being what lies between spaces and hyphens
 * (a line may end at a hyphen), up to 30 characters (a longer token may have to break anywhere).
 */
export function brokenWords(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const found: string[] = [];
    for (const element of document.querySelectorAll(selector)) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of (node.textContent ?? '').matchAll(/[^\s-]+/g)) {
          if (match[0].length < 2 || match[0].length > 30) continue;
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const lines = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
          if (lines.size > 1) found.push(match[0]);
        }
      }
    }
    return found;
  }, selector);
}

/**
 * Charts (canvases of `selector`) whose leftmost pixels are drawn on: a y-axis label wider than its axis runs into the
 * canvas's left edge and is cut there ("10,000" shown as "0,000"). The names of the charts, empty when none is.
 */
export function chartsCutAtLeft(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const found: string[] = [];
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>(selector)) {
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, 2, canvas.height).data;
      let inked = false;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked = true;
      if (inked) found.push(canvas.closest<HTMLElement>('[data-chart]')?.dataset.chart ?? 'a chart');
    }
    return found;
  }, selector);
}
