// The full-screen `gwqueue events` monitor (Ink): recent tasks coloured by state, live from queue events; details, traceback, result, cancel.
import { createElement as h, useEffect, useRef, useState, type ReactElement } from 'react';
import { Box, render, Text, useApp, useInput, useStdout, type Key } from 'ink';
import type { Config } from '../../config/index.js';
import { redactorFor } from '../../log/redact.js';
import type { TaskClient } from '../../queue/client.js';
import { getTaskInfo, type TaskInfo } from '../../queue/results.js';
import { describeRedis } from '../../redis/connection.js';
import { TaskEventStream } from './task-events.js';
import { recentJobs, summarize, TaskBoard, type Row, type Summary } from './task-board.js';
import { cancelTask } from '../../actions/task-actions.js';
import { runFromTerminal } from '../run-action.js';

const STATE_COLOURS: Record<string, string> = {
  waiting: 'cyan',
  prioritized: 'cyan',
  delayed: 'magenta',
  'waiting-children': 'blue',
  active: 'yellow',
  completed: 'green',
  failed: 'red',
  stalled: 'redBright',
  removed: 'gray',
  retrying: 'magentaBright',
};
const shortName = (name: string) => name.replace(/^gwqueue\.tasks\./, '');
const fit = (text: string, width: number) =>
  width <= 0 ? '' : text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);
const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

/** Wraps long lines at the screen's width, so that a traceback loses nothing. */
function wrap(lines: string[], width: number): string[] {
  return lines.flatMap((line) => {
    if (line.length <= width) return [line];
    const parts: string[] = [];
    for (let i = 0; i < line.length; i += width) parts.push(line.slice(i, i + width));
    return parts;
  });
}

function detailLines(info: TaskInfo): string[] {
  const json = (value: unknown) => JSON.stringify(value) ?? 'undefined';
  const lines = [
    `id        ${info.id}`,
    `name      ${info.name}`,
    `queue     ${info.queue}`,
    `state     ${info.state}`,
    `worker    ${info.worker ?? '-'}`,
    `args      ${json(info.args)}`,
    `kwargs    ${json(info.kwargs)}`,
    `submitted ${info.submittedAt ?? '-'}${info.submittedBy ? ` by ${info.submittedBy}` : ''}`,
    `started   ${info.startedAt ?? '-'}`,
    `finished  ${info.finishedAt ?? '-'}${info.runtimeMs !== null ? ` (${info.runtimeMs} ms)` : ''}`,
    `attempts  ${info.attempts} of ${info.maxAttempts}`,
  ];
  if (info.state === 'completed') lines.push(`result    ${json(info.result)}`);
  if (info.error) lines.push(`error     ${info.error.message}`);
  if (info.steps.length > 1) {
    lines.push('', `steps (chain of ${info.steps.length}; this is the last):`);
    info.steps.forEach((step, index) =>
      lines.push(`  ${index + 1}. ${step.id} ${step.task} ${step.state}${step.error ? `: ${step.error}` : ''}`),
    );
  }
  return lines;
}

type View = 'list' | 'detail' | 'traceback' | 'result';

interface UiState {
  selectedId: string | null;
  /** First row shown in the table. */
  top: number;
  view: View;
  scroll: number;
  info: { id: string; info?: TaskInfo; error?: string } | null;
  confirm: Row | null;
  message: { text: string; until: number } | null;
}

interface AppProps {
  board: TaskBoard;
  client: TaskClient;
  config: Config;
  summary: () => Summary;
}

function App({ board, client, config, summary }: AppProps): ReactElement {
  const { exit } = useApp();
  const { stdout } = useStdout();
  // Interaction state lives in a ref and changes synchronously, so that keys arriving together in one chunk
  // (fast typing, a paste) act one after the other; `refresh` then renders once.
  const ui = useRef<UiState>({ selectedId: null, top: 0, view: 'list', scroll: 0, info: null, confirm: null, message: null }).current;
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [, setTick] = useState(0);
  const refresh = () => setTick((n) => n + 1);

  useEffect(() => {
    let seen = -1;
    const timer = setInterval(() => {
      if (board.version !== seen || (ui.message && ui.message.until < Date.now())) {
        seen = board.version;
        if (ui.message && ui.message.until < Date.now()) ui.message = null;
        refresh();
      }
    }, 100);
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => {
      clearInterval(timer);
      stdout.off('resize', onResize);
    };
  }, [board, stdout, ui]);

  const { columns, rows: height } = size;
  const tableHeight = Math.max(1, height - 5);
  const current = () => {
    const rows = board.ordered();
    const index = Math.max(0, ui.selectedId ? rows.findIndex((row) => row.id === ui.selectedId) : 0);
    return { rows, index, selected: rows[index] as Row | undefined };
  };
  const say = (text: string) => {
    ui.message = { text, until: Date.now() + 5000 };
    refresh();
  };
  const open = (next: View) => {
    const { selected } = current();
    if (!selected) return;
    ui.view = next;
    ui.scroll = 0;
    // Keep showing what is known while the task is read again (it may have changed since).
    if (ui.info?.id !== selected.id) ui.info = { id: selected.id };
    getTaskInfo(client, selected.id).then(
      (found) => {
        ui.info = found
          ? { id: selected.id, info: redactorFor(config).value(found) }
          : { id: selected.id, error: 'this task no longer exists (removed, or trimmed after its retention time)' };
        refresh();
      },
      (error: Error) => {
        ui.info = { id: selected.id, error: error.message };
        refresh();
      },
    );
  };

  const handle = (input: string, key: Partial<Key>) => {
    const { rows, index, selected } = current();
    if (ui.confirm) {
      const row = ui.confirm;
      ui.confirm = null;
      if (input === 'y' || input === 'Y') {
        say(`cancelling ${row.id.slice(0, 8)}…`);
        // The screen asked its own [y/N]; the pipeline applies the same rules as everywhere (no chain step, index row removed).
        runFromTerminal(client, config, cancelTask, { id: row.id }, { entry: 'events' }).then(
          (outcome) => say(outcome.message),
          (error: Error) => say(`cancel failed: ${error.message}`),
        );
      } else say('not cancelled');
      return;
    }
    if (input === 't') open('traceback');
    else if (input === 'r') open('result');
    else if (input === 'i' || key.return) {
      if (ui.view !== 'detail') open('detail');
    } else if (input === 'c') ui.confirm = selected ?? null;
    else if (ui.view !== 'list') {
      if (key.escape || key.backspace || key.leftArrow || input === 'q') ui.view = 'list';
      else if (input === 'j' || key.downArrow) ui.scroll++;
      else if (input === 'k' || key.upArrow) ui.scroll = Math.max(0, ui.scroll - 1);
      else if (key.pageDown || input === ' ') ui.scroll += height - 4;
      else if (key.pageUp) ui.scroll = Math.max(0, ui.scroll - (height - 4));
    } else {
      const move = (delta: number) => {
        const next = rows[Math.min(Math.max(0, index + delta), rows.length - 1)];
        if (next) ui.selectedId = next.id;
      };
      if (input === 'q') exit();
      else if (input === 'j' || key.downArrow) move(1);
      else if (input === 'k' || key.upArrow) move(-1);
      else if (key.pageDown) move(tableHeight);
      else if (key.pageUp) move(-tableHeight);
      else if (input === 'g' || key.home) move(-rows.length);
      else if (input === 'G' || key.end) move(rows.length);
    }
  };

  useInput((input, key) => {
    // Ink hands over a chunk of plain keys as one string: take them one by one.
    if (input.length > 1 && !key.ctrl && !key.meta) for (const char of input) handle(char === '\r' ? '' : char, { return: char === '\r' });
    else handle(input, key);
    refresh();
  });

  const { rows, index: selectedIndex } = current();
  const { view, info, confirm, message } = ui;
  const scroll = ui.scroll;
  const s = summary();
  const title = ` gwqueue events · {${config.prefix}} · ${describeRedis(config)}`;
  const now = clock(Date.now());
  const lines: ReactElement[] = [
    h(Text, { key: 'title', inverse: true, wrap: 'truncate' }, fit(`${fit(title, columns - now.length - 1)} ${now}`, columns)),
  ];

  if (view === 'list') {
    const worker = Math.min(18, Math.max(8, Math.floor(columns / 5)));
    const name = Math.max(10, columns - 8 - worker - 8 - 10 - 4);
    const line = (row: { id: string; name: string; worker: string; time: string; state: string }) =>
      fit(`${fit(row.id, 8)} ${fit(row.name, name)} ${fit(row.worker, worker)} ${fit(row.time, 8)} ${fit(row.state, 10)}`, columns);
    lines.push(
      h(
        Text,
        { key: 'head', bold: true, underline: true, wrap: 'truncate' },
        line({ id: 'ID', name: 'NAME', worker: 'WORKER', time: 'TIME', state: 'STATE' }),
      ),
    );
    // Scroll only as far as needed to keep the selected row in view.
    if (selectedIndex < ui.top) ui.top = selectedIndex;
    if (selectedIndex >= ui.top + tableHeight) ui.top = selectedIndex - tableHeight + 1;
    ui.top = Math.max(0, Math.min(ui.top, rows.length - tableHeight));
    const start = ui.top;
    for (let i = 0; i < tableHeight; i++) {
      const row = rows[start + i];
      if (!row) {
        lines.push(h(Text, { key: `r${i}` }, i === 0 && !rows.length ? ' waiting for tasks…' : ' '));
        continue;
      }
      lines.push(
        h(
          Text,
          { key: `r${i}`, color: STATE_COLOURS[row.state], inverse: start + i === selectedIndex, wrap: 'truncate' },
          line({ id: row.id.slice(0, 8), name: shortName(row.name), worker: row.worker ?? '', time: clock(row.time), state: row.state }),
        ),
      );
    }
  } else {
    const heading = { detail: 'Task details', traceback: 'Traceback', result: 'Result' }[view];
    let body: string[];
    if (!info?.info) body = [info?.error ?? 'loading…'];
    else if (view === 'detail') body = detailLines(info.info);
    else if (view === 'traceback')
      body = info.info.error
        ? (info.info.error.stack ?? info.info.error.message).split('\n')
        : [`no traceback: the task is ${info.info.state}`];
    else
      body =
        info.info.state === 'completed'
          ? (JSON.stringify(info.info.result, null, 2) ?? 'undefined').split('\n')
          : [`no result: the task is ${info.info.state}`];
    const wrapped = wrap(body, columns);
    const bodyHeight = height - 4;
    const offset = Math.min(scroll, Math.max(0, wrapped.length - bodyHeight));
    ui.scroll = offset;
    lines.push(h(Text, { key: 'head', bold: true, wrap: 'truncate' }, fit(`${heading} of ${info?.id ?? ''}`, columns)));
    for (let i = 0; i < bodyHeight; i++) lines.push(h(Text, { key: `b${i}`, wrap: 'truncate' }, wrapped[offset + i] ?? ' '));
  }

  const c = s.counts;
  const stats = `${s.workers.length} worker${s.workers.length === 1 ? '' : 's'} online · waiting ${(c.wait ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0)} · active ${c.active ?? 0} · delayed ${c.delayed ?? 0} · completed ${c.completed ?? 0} · failed ${c.failed ?? 0}${s.paused.length ? ` · PAUSED: ${s.paused.join(',')}` : ''}`;
  lines.push(
    h(
      Text,
      { key: 'stats', color: s.error ? 'red' : s.paused.length ? 'yellow' : undefined, wrap: 'truncate' },
      fit(s.error ? `Redis: ${s.error}` : stats, columns),
    ),
  );
  let help: string;
  if (confirm) help = `Cancel task ${confirm.id.slice(0, 8)} (${shortName(confirm.name)})? [y/N]`;
  else if (message && message.until > Date.now()) help = message.text;
  else if (view === 'list') help = 'j/k move · Enter/i details · t traceback · r result · c cancel · q quit';
  else help = 'j/k scroll · Esc/q back · i details · t traceback · r result · c cancel';
  lines.push(h(Text, { key: 'help', inverse: !!confirm, bold: !!confirm, wrap: 'truncate' }, fit(help, columns)));
  return h(Box, { flexDirection: 'column', width: columns }, ...lines);
}

/** Runs the screen on the alternate screen buffer until q, Ctrl-C or a signal; the terminal is restored in every case. */
export async function runEventsScreen(client: TaskClient, config: Config): Promise<void> {
  const board = new TaskBoard();
  let summary: Summary = { workers: [], counts: {}, paused: [] };
  const refresh = async () => {
    try {
      summary = await summarize(client, config);
    } catch (error) {
      summary = { ...summary, error: (error as Error).message };
    }
    board.version++;
  };
  const stream = new TaskEventStream(client, config, {
    onEvent: (event) => board.apply(event),
    onError: (error) => {
      summary = { ...summary, error: error.message };
    },
  });
  await stream.start();
  board.load(await recentJobs(client));
  for (const row of board.rows.values()) stream.rememberName(row.id, row.name);
  await refresh();
  const poll = setInterval(refresh, 2000);

  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[H\x1b[2J');
  const restore = () => out.write('\x1b[?25h\x1b[?1049l');
  const app = render(h(App, { board, client, config, summary: () => summary }), { exitOnCtrlC: true, patchConsole: true });
  const stop = () => app.unmount();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  signals.forEach((signal) => process.on(signal, stop));
  try {
    await app.waitUntilExit();
  } finally {
    signals.forEach((signal) => process.off(signal, stop));
    clearInterval(poll);
    restore();
    await stream.stop();
  }
}
