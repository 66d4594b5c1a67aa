// Rewrites the generated blocks of the docs pages from the code (`npm run docs`); test/docs checks they are current.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CORE_SETTINGS } from '../src/config/index.js';
import type { Setting } from '../src/config/setting.js';
import { WEB_SETTINGS } from '../src/config/web.js';
import { NAGIOS_SETTINGS } from '../src/config/nagios.js';
import { DOMAIN_SETTINGS } from '../src/config/domain.js';
import { OBSERVABILITY_SETTINGS } from '../src/config/observability.js';
import { SCHEDULE_SETTINGS } from '../src/config/schedules.js';
import { OPERATOR_FORMS } from '../src/forms/registry.js';
import { fieldUsage } from '../src/forms/fields.js';
import { GRACEDB_API_ROUTES, ROUTES, fullPath } from '../src/web/routes.js';
import { QUEUES, allTasks } from '../src/queue/registry.js';
import { CONTROL_ACTIONS, controlCommands } from '../src/actions/registry.js';
import { FORM_DOC } from '../src/actions/form-action.js';
import { GRACEDB_WRITE_DOC } from '../src/web/gracedb/api-write.js';
import type { ActionDoc } from '../src/actions/pipeline.js';
import '../src/tasks/index.js';

/** The repository root: pages are named relative to it. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * One generated block: the text between `<!-- generated:MARKER -->` and `<!-- /generated:MARKER -->` in `page`
 * is exactly what `render()` returns. To add a block, put the two marker lines in the page and a row here.
 */
export interface GeneratedBlock {
  page: string;
  marker: string;
  render(): string;
}

/** Escapes a table cell: `|` always (GitHub splits cells on it even in code), `<` and `>` outside code spans. */
function cell(text: string): string {
  return text
    .split('`')
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('`')
    .replace(/\|/g, '\\|');
}

/** One row a setting, from its declaration: the default as written there, who reads it, its help text. */
function settingsTable(settings: readonly Setting[]): string {
  const rows = settings.map(
    (setting) => `| \`${setting.name}\` | ${cell(setting.shown)} | ${setting.readBy.join(', ')} | ${cell(setting.help)} |`,
  );
  return ['| setting | default | read by | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The settings, grouped by the file of src/config/ that defines them. */
export function renderConfig(): string {
  const groups: { title: string; source: string; more: string; table: readonly Setting[] }[] = [
    {
      title: 'Profile, Redis, results, workers and ports',
      source: 'index.ts',
      more: '[deployment.md](deployment.md)',
      table: CORE_SETTINGS,
    },
    { title: 'Web console and access', source: 'web.ts', more: '[console.md](console.md#who-may-do-what)', table: WEB_SETTINGS },
    { title: 'Nagios thresholds', source: 'nagios.ts', more: '[nagios.md](nagios.md#options)', table: NAGIOS_SETTINGS },
    { title: 'GW domain', source: 'domain.ts', more: '[domain.md](domain.md)', table: DOMAIN_SETTINGS },
    {
      title: 'Logs, Sentry and metrics',
      source: 'observability.ts',
      more: '[observability.md](observability.md)',
      table: OBSERVABILITY_SETTINGS,
    },
    { title: 'Schedules', source: 'schedules.ts', more: '[schedules.md](schedules.md)', table: SCHEDULE_SETTINGS },
  ];
  return groups
    .map(({ title, source, more, table }) => `## ${title}\n\nFrom \`src/config/${source}\`; more in ${more}.\n\n${settingsTable(table)}`)
    .join('\n\n');
}

/** The operator forms, from src/forms/: path, fields (as `gwqueue chain` takes them), confirmation, audit name. */
export function renderForms(): string {
  const rows = OPERATOR_FORMS.map((form) => {
    const fields = form.fields.map((field) => `\`${fieldUsage(field)}\``).join(' ') || '–';
    return `| ${cell(form.title)} | \`POST /${form.name}\` | ${fields} | ${form.confirm ? 'yes' : 'no'} | \`${form.auditAction}\` |`;
  });
  return [
    '| form | path | fields (`[name]`: a checkbox) | asks to confirm | audit action |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Every URL, from the table in src/web/routes.ts: who may call it, its guard, how a repeat is caught, `gwqueue flower` too. */
export function renderRoutes(): string {
  const rows = ROUTES.map(
    (route) =>
      `| ${route.method} | \`${cell(fullPath(route, '/flower'))}\` | ${route.who} | ${cell(route.guard)} | ${cell(route.once)} | ${route.flower ? 'yes' : 'no'} |`,
  );
  return [
    '| method | path (the dashboard at `/flower`) | who | guard | a repeat is caught by | also in `gwqueue flower` |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The GraceDB API's paths, from the block in src/web/routes.ts: who may call each, how a repeat is caught. */
export function renderGraceDbRoutes(): string {
  const rows = GRACEDB_API_ROUTES.map(
    (route) =>
      `| ${route.method} | \`${cell(`/gracedb/api${route.path === '/' ? '/' : route.path}`)}\` | ${route.who} | ${cell(route.once)} |`,
  );
  return ['| method | path | who | a repeat is caught by |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The queues, from src/queue/registry.ts: default concurrency, what runs there, and the tasks that name it. */
export function renderQueues(): string {
  const rows = QUEUES.map((queue) => {
    const tasks = allTasks()
      .filter((task) => task.queue === queue.name && !task.internal)
      .map((task) => `\`${task.name.replace(/^gwqueue\.tasks\./, '')}\``)
      .sort();
    const concurrency = queue.concurrency ?? '`GWQUEUE_CONCURRENCY` (4)';
    return `| \`${queue.name}\` | ${concurrency} | ${cell(queue.purpose)} | ${tasks.join(', ') || '– (none yet)'} |`;
  });
  return ['| queue | default concurrency | what runs there | tasks (`gwqueue.tasks.…`) |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The operator actions, from their declarations (src/actions/): where each is offered, its rule, what is audited. */
export function renderActions(): string {
  const row = (name: string, entries: string[], doc: ActionDoc) =>
    `| \`${name}\` | ${cell([...entries, ...(doc.also ? [doc.also] : [])].join('; '))} | ${cell(doc.rule)} | ${cell(doc.audited)} |`;
  const rows = CONTROL_ACTIONS.map((action) => {
    const asks = action.confirm ? ' (confirmed)' : '';
    const only = action.role === 'admin' ? ', admins only' : '';
    const web = (action.web ?? []).map(
      (entry) =>
        `${entry.area === 'dashboard' ? 'dashboard' : 'console'} \`POST ${entry.area === 'dashboard' ? '/flower' : ''}${entry.path.replace(/:(\w+)/g, '<$1>')}\`${asks}${only}`,
    );
    const cli = action.cli ? [`\`gwqueue control ${action.cli.usage.replace(/<(\w+)>/g, (_m, name: string) => name.toUpperCase())}\``] : [];
    return row(action.name, [...web, ...cli], action.doc);
  });
  return [
    '| action | entry points | rule | audited |',
    '| --- | --- | --- | --- |',
    ...rows,
    row('form.<name>', ["the console's forms `POST /<name>` (browser or API token)"], FORM_DOC),
    row(
      'gracedb.<write>',
      ["every write of the embedded GraceDB's API under `/gracedb/api/` ([gracedb.md](gracedb.md); `gwqueue gracedb` serves it alone)"],
      GRACEDB_WRITE_DOC,
    ),
  ].join('\n');
}

/** The `gwqueue control` subcommands, from the declarations: usage, help, exit codes. */
export function renderControl(): string {
  const rows = controlCommands().map(({ action, cli }) => {
    const usage = cli.usage.replace(/<(\w+)>/g, (_m, name: string) => name.toUpperCase());
    const exits = [
      '0 done (or done already)',
      '1 refused by its rule',
      '64 bad input',
      ...(cli.usage.includes('<id>') ? ['66 unknown task'] : []),
      ...(cli.replies ? ['69 a worker did not answer within `-t`'] : ['69 Redis did not answer']),
    ];
    const only = action.role === 'admin' ? ' (admins only)' : '';
    return `| \`gwqueue control ${usage}\` | ${cell(cli.description)}${only} | ${exits.join('; ')} |`;
  });
  return ['| command | what it does | exit codes |', '| --- | --- | --- |', ...rows].join('\n');
}

export const BLOCKS: GeneratedBlock[] = [
  { page: 'docs/cli.md', marker: 'control', render: renderControl },
  { page: 'docs/actions.md', marker: 'actions', render: renderActions },
  { page: 'docs/configuration.md', marker: 'config', render: renderConfig },
  { page: 'docs/console.md', marker: 'forms', render: renderForms },
  { page: 'docs/console.md', marker: 'routes', render: renderRoutes },
  { page: 'docs/gracedb.md', marker: 'gracedb-routes', render: renderGraceDbRoutes },
  { page: 'docs/tasks.md', marker: 'queues', render: renderQueues },
];

function markers(marker: string): { open: string; close: string } {
  return { open: `<!-- generated:${marker} -->`, close: `<!-- /generated:${marker} -->` };
}

/** The text between a block's markers (without the newlines that frame it); throws when a marker is missing. */
export function readBlock(text: string, marker: string): string {
  const { open, close } = markers(marker);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`missing "${open}" … "${close}"`);
  return text
    .slice(start + open.length, end)
    .replace(/^\n/, '')
    .replace(/\n$/, '');
}

/** The page's text with the block's content replaced by `body`. */
export function writeBlock(text: string, marker: string, body: string): string {
  const { open, close } = markers(marker);
  readBlock(text, marker);
  const start = text.indexOf(open) + open.length;
  return `${text.slice(0, start)}\n${body}\n${text.slice(text.indexOf(close))}`;
}

/** Rewrites every block; returns the pages that changed. */
export function generate(blocks: GeneratedBlock[] = BLOCKS, root = ROOT): string[] {
  const changed = new Set<string>();
  for (const block of blocks) {
    const file = path.join(root, block.page);
    const before = readFileSync(file, 'utf8');
    const after = writeBlock(before, block.marker, block.render());
    if (after !== before) {
      writeFileSync(file, after);
      changed.add(block.page);
    }
  }
  return [...changed];
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const changed = generate();
  console.log(changed.length ? `rewrote ${changed.join(', ')}` : 'docs: every generated block is current');
}
