// The docs stay true to the code: generated blocks match what scripts/docs.ts renders, and every local link resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BLOCKS, ROOT, readBlock, writeBlock } from '../../scripts/docs.js';

/** README.md, CHANGELOG.md and every page of docs/, relative to the repository root. */
function pages(): string[] {
  return [
    'README.md',
    'CHANGELOG.md',
    ...readdirSync(path.join(ROOT, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
}

/** The page's lines outside fenced code blocks (links and headings in code are not Markdown). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's heading anchor: the rendered text, lower-cased, without punctuation, spaces as hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a page has, duplicates numbered as GitHub does (`name`, `name-1`, …). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseLines(text)) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = slug(match[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** The Markdown link targets of a page, outside code blocks and code spans. */
function links(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]);
  }
  return targets;
}

test('test helpers: GitHub slugs', () => {
  assert.equal(slug('Prometheus: `GET /metrics`'), 'prometheus-get-metrics');
  assert.equal(slug('How it stays fast, and what it keeps'), 'how-it-stays-fast-and-what-it-keeps');
  assert.equal(slug('Nagios on another host (NRPE)'), 'nagios-on-another-host-nrpe');
  assert.equal(slug('The GW domain — alerts'), 'the-gw-domain--alerts');
});

for (const block of BLOCKS) {
  test(`${block.page}: the generated block "${block.marker}" is current`, () => {
    const text = readFileSync(path.join(ROOT, block.page), 'utf8');
    let written: string;
    try {
      written = readBlock(text, block.marker);
    } catch (error) {
      assert.fail(`${block.page}: ${(error as Error).message}; add the two marker lines, then run \`npm run docs\``);
    }
    assert.ok(
      written === block.render(),
      `${block.page}: the block "${block.marker}" differs from what the code renders; run \`npm run docs\` and commit the page`,
    );
  });
}

test('writeBlock replaces only what is between the markers', () => {
  const page = 'before\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nafter\n';
  assert.equal(writeBlock(page, 'x', 'new\nlines'), 'before\n<!-- generated:x -->\nnew\nlines\n<!-- /generated:x -->\nafter\n');
  assert.throws(() => writeBlock(page, 'y', 'new'), /missing/);
});

test('every local link in README.md, CHANGELOG.md and docs/ resolves, anchors included', () => {
  const broken: string[] = [];
  for (const page of pages()) {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    for (const target of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [filePart, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = filePart ? path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(filePart)) : path.join(ROOT, page);
      if (!existsSync(file)) {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(file).isDirectory() || !file.endsWith('.md')) {
        broken.push(`${page}: ${target} (an anchor into a file that is not a Markdown page)`);
        continue;
      }
      if (!anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor).toLowerCase())) {
        broken.push(`${page}: ${target} (no heading with that anchor)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test('the checker sees links: README.md links to the docs pages', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(links(readme).some((target) => target.startsWith('docs/')));
});
