// The data of test/cli/bad-arguments.test.ts: for every CLI argument that takes a value, values it must refuse, the exit code and what the message names.

/** One refused command line: `expect` is its exit code, `mention` what the one-line message must name. */
export interface BadCase {
  args: string[];
  expect: number;
  mention: RegExp;
}

const USAGE = 64;
/** Nagios plugins exit 3 (UNKNOWN) after bad options, with the message on stdout. */
const NAGIOS_UNKNOWN = 3;
/** A well-formed but unknown task ID is not a usage error: "no task with ID …", exit 66, as the README documents. */
const NO_INPUT = 66;

const LONG = 'x'.repeat(10_240);
const UNICODE = '\u202eevil😀'; // right-to-left override and an emoji
const CONTROL = 'a\u0001b\r\nc'; // \u0000 cannot be passed in argv
const MARKUP = '<script>alert(1)</script>';

/** For free text (names, IDs, hosts): empty, blank, huge, unicode, control characters, markup. */
const TEXT = ['', ' ', LONG, UNICODE, CONTROL, MARKUP];
/** For seconds (fractions are fine): not a number, negative, NaN/Infinity, out of range, blank. */
const SECONDS = ['', ' ', 'ten', '-1', 'NaN', 'Infinity', '1e400', '99999999999'];
/** For whole numbers (ports, counts): the same, and fractions and exponents. */
const INTEGER = ['', ' ', 'many', '-1', '1.5', 'NaN', 'Infinity', '1e3x', '99999999'];

/** The empty value and n - 1 others, taken one further along the list at each call: every value is tried, by different arguments. */
let turn = 0;
function some(list: string[], n: number): string[] {
  const rest = list.filter((value) => value !== '');
  const start = turn;
  turn += n - 1;
  return ['', ...Array.from({ length: Math.min(n - 1, rest.length) }, (_, i) => rest[(start + i) % rest.length])];
}

const UUID = '00000000-0000-4000-8000-000000000000';
const ADD = 'gwqueue.tasks.core.add';

export function badArgumentCases(): BadCase[] {
  const cases: BadCase[] = [];
  turn = 0;
  const each = (values: string[], expect: number, mention: RegExp, build: (value: string) => string[]) => {
    for (const value of values) cases.push({ args: build(value), expect, mention });
  };

  // call: every option is checked before Redis is touched.
  each([...some(TEXT, 4), 'gwqueue.tasks.core.pong'], USAGE, /unknown task/, (v) => ['call', v]);
  each(['', '[1,', '{"x": 1}', 'null', '42', `[${LONG}]`], USAGE, /--args/, (v) => ['call', ADD, `--args=${v}`]);
  each(['["a", "b"]', '[1, 2, 3, 4]'], USAGE, /bad arguments for gwqueue\.tasks\.core\.add/, (v) => ['call', ADD, `--args=${v}`]);
  each(['', '[1]', '{', MARKUP], USAGE, /--kwargs/, (v) => ['call', ADD, '--args=[1]', `--kwargs=${v}`]);
  each(['{"nosuch": 1}', '{"y": "two"}'], USAGE, /bad arguments for gwqueue\.tasks\.core\.add/, (v) => [
    'call',
    ADD,
    '--args=[1]',
    `--kwargs=${v}`,
  ]);
  // A malformed queue name is refused before Redis is asked whether anything consumes it.
  each([...some(TEXT, 4), 'a,b', '../etc'], USAGE, /-Q\/--queue/, (v) => ['call', ADD, '--args=[1,2]', '-Q', v]);
  each(some(SECONDS, 5), USAGE, /--countdown/, (v) => ['call', ADD, '--args=[1,2]', `--countdown=${v}`]);
  each(['', 'yesterday', '1', '-5', '2024-13-45T00:00:00Z'], USAGE, /--eta/, (v) => ['call', ADD, '--args=[1,2]', `--eta=${v}`]);
  // Capped like --countdown: at most 10 years ahead.
  each(['9999-12-31T00:00:00Z', '2200-01-01'], USAGE, /--eta must be at most 10 years from now/, (v) => [
    'call',
    ADD,
    '--args=[1,2]',
    `--eta=${v}`,
  ]);
  // A well-formed queue that no task uses and no worker serves would hold the task forever; the message lists the known ones.
  each(['nosuchqueue', 'default2'], USAGE, /-Q\/--queue: no task uses queue ".*" and no worker serves it \(known: .*celery/, (v) => [
    'call',
    ADD,
    '--args=[1,2]',
    '-Q',
    v,
  ]);
  // Internal tasks are steps the canvas adds; calling one by hand is refused.
  each(['gwqueue.canvas.group_results'], USAGE, /is an internal task/, (v) => ['call', v, '--args=[[1, 2]]']);
  each(['-5', 'soon', 'Infinity', '1e20'], USAGE, /--expires/, (v) => ['call', ADD, '--args=[1,2]', `--expires=${v}`]);
  each(some(SECONDS, 4), USAGE, /--wait/, (v) => ['call', ADD, '--args=[1,2]', `--wait=${v}`]);

  // chain: the form, its fields, --wait and -u (a blank -u is the OS user, as when it is left out: not tried here).
  each([...some(TEXT, 4), 'send_nothing'], USAGE, /form/, (v) => ['chain', v]);
  each(['=x', CONTROL, '1x=2'], USAGE, /is not field=value/, (v) => ['chain', 'send_mock_event', v]);
  each(['nosuch=1'], USAGE, /nosuch is not a field/, (v) => ['chain', 'send_mock_event', v]);
  each(['', LONG, MARKUP], USAGE, /superevent_id/, (v) => ['chain', 'send_preliminary_gcn', `superevent_id=${v}`, 'event_id=G1']);
  each(some(SECONDS, 3), USAGE, /--wait/, (v) => ['chain', 'send_mock_event', `--wait=${v}`]);
  each([LONG, CONTROL, MARKUP], USAGE, /--user/, (v) => ['chain', 'send_mock_event', '-u', v]);

  // result: any string is looked up; what is not a task is "no task with ID" (66). --wait is checked first (64).
  each([...some(TEXT, 4), 'not-a-task'], NO_INPUT, /no task with ID/, (v) => ['result', v]);
  each(some(SECONDS, 3), USAGE, /--wait/, (v) => ['result', UUID, `--wait=${v}`]);

  // nagios: UNKNOWN (3) and the status line names the option.
  each(some(SECONDS, 5), NAGIOS_UNKNOWN, /--timeout/, (v) => ['nagios', `--timeout=${v}`]);
  for (const option of ['--lost-worker-window', '--alert-failure-window'])
    each(['0', ...some(SECONDS, 2)], NAGIOS_UNKNOWN, new RegExp(option), (v) => ['nagios', `${option}=${v}`]);
  each(['', 'bogus=1', 'waiting=abc', UNICODE, CONTROL, LONG], NAGIOS_UNKNOWN, /warning|-w\b/, (v) => ['nagios', `--warning=${v}`]);
  each(['', 'waiting=', '1:2:3'], NAGIOS_UNKNOWN, /critical|-c\b/, (v) => ['nagios', `--critical=${v}`]);
  for (const metric of ['waiting', 'oldest-waiting-age', 'failure-ratio', 'failed-alerts', 'workers-online']) {
    each(some(['1,2,3', 'NaN,NaN', CONTROL, MARKUP, LONG], 2), NAGIOS_UNKNOWN, new RegExp(`--${metric}`), (v) => [
      'nagios',
      `--${metric}=${v}`,
    ]);
  }

  // munin: [graph] [mode] and -t.
  each([...some(TEXT, 3), 'disks'], USAGE, /unknown graph/, (v) => ['munin', v]);
  each([...some(TEXT, 3), 'fetchh'], USAGE, /unknown mode/, (v) => ['munin', 'queues', v]);
  each(some(SECONDS, 4), USAGE, /--timeout/, (v) => ['munin', 'queues', `--timeout=${v}`]);

  // inspect: the method, -d (worker names) and -t, on every method.
  each([...some(TEXT, 4), 'pong'], USAGE, /unknown command/, (v) => ['inspect', v]);
  each([...some(TEXT, 4), ',', 'a b'], USAGE, /-d/, (v) => ['inspect', 'ping', `--destination=${v}`]);
  each(some(SECONDS, 4), USAGE, /-t must/, (v) => ['inspect', 'stats', `--timeout=${v}`]);
  for (const method of ['active', 'reserved', 'scheduled', 'registered', 'active_queues', 'ping'])
    cases.push({ args: ['inspect', method, '-t', '0'], expect: USAGE, mention: /-t must/ });

  // control: the action, queue names (must be known), task IDs (66 when unknown), worker names, N and -t.
  each(some(TEXT, 3), USAGE, /unknown command/, (v) => ['control', v]);
  for (const action of ['pause', 'resume']) each([...some(TEXT, 3), 'nosuch'], USAGE, /unknown queue/i, (v) => ['control', action, v]);
  for (const action of ['cancel', 'retry']) each(some(TEXT, 3), NO_INPUT, /no task with ID/i, (v) => ['control', action, v]);
  each(some(TEXT, 3), USAGE, /worker name/, (v) => ['control', 'concurrency', v, '2']);
  each([...some(INTEGER, 5), '0', '1001'], USAGE, /N must be/, (v) => ['control', 'concurrency', 'w1@host', v]);
  each(some(TEXT, 3), USAGE, /worker name/, (v) => ['control', 'shutdown', v]);
  each(['0', 'NaN', '99999'], USAGE, /-t must/, (v) => ['control', 'pause', 'celery', `--timeout=${v}`]);

  // purge: malformed or unknown queues are refused before anything is counted or asked.
  each([...some(TEXT, 3), 'nosuch', 'default,nosuch'], USAGE, /-Q/, (v) => ['purge', '-f', '-Q', v]);

  each([...some(TEXT, 3), 'fish'], USAGE, /shell/, (v) => ['completion', v]);

  // Long-running commands: each value must be refused before anything starts (an accepted one would not exit).
  each([...some(TEXT, 4), 'a b'], USAGE, /-Q/, (v) => ['worker', '-Q', v]);
  each([...some(INTEGER, 5), '0', '1001'], USAGE, /-c must be/, (v) => ['worker', '-c', v]);
  each([...some(TEXT, 4), 'a b', 'w/1'], USAGE, /-n must be/, (v) => ['worker', '-n', v]);
  each([...some(INTEGER, 4), '65536', '0x50'], USAGE, /--metrics-port/, (v) => ['worker', `--metrics-port=${v}`]);
  each([...some(INTEGER, 5), '65536', '1e3'], USAGE, /--port/, (v) => ['web', `--port=${v}`]);
  each([...some(TEXT, 4), 'a b', 'http://x'], USAGE, /--host/, (v) => ['web', `--host=${v}`]);
  each([...some(INTEGER, 3), '0', '65'], USAGE, /--processes/, (v) => ['web', `--processes=${v}`]);
  each(['bogus', 'runn'], USAGE, /unexpected argument/, (v) => ['web', v]);
  each(some(INTEGER, 3), USAGE, /--port/, (v) => ['flower', `--port=${v}`]);
  each(['', `${LONG.slice(0, 300)} `, CONTROL, MARKUP], USAGE, /--host/, (v) => ['flower', `--host=${v}`]);
  // A blank prefix means "no prefix", as when it is left out: not tried.
  each(['..', '../x', UNICODE, CONTROL, MARKUP], USAGE, /--url-prefix/, (v) => ['flower', `--url-prefix=${v}`]);
  each(some(INTEGER, 4), USAGE, /--port/, (v) => ['dev', `--port=${v}`]);
  // result -o: a name is needed, and an existing file is never overwritten (73), before Redis is asked anything.
  each(['', ' '], USAGE, /-o\/--output needs a file name/, (v) => ['result', UUID, '-o', v]);
  cases.push({ args: ['result', UUID, '-o', 'package.json'], expect: 73, mention: /package\.json already exists; it is not overwritten/ });

  // Commander's own refusals (unknown command or option, missing argument): one escaped line too, a suggestion included.
  each(
    TEXT.filter((v) => v.trim() !== ''),
    USAGE,
    /unknown command/,
    (v) => [v],
  );
  cases.push({ args: ['caal'], expect: USAGE, mention: /^error: unknown command 'caal' \(Did you mean call\?\)$/ });
  each([`--${CONTROL}`, `--${UNICODE}`, '--bogus'], USAGE, /unknown option/, (v) => ['call', ADD, v]);
  cases.push({ args: ['result'], expect: USAGE, mention: /missing required argument 'id'/ });
  cases.push({ args: ['call'], expect: USAGE, mention: /^gwqueue: missing the task's name \(gwqueue call --list shows them\)$/ });
  cases.push({ args: ['call', '--list', ADD], expect: USAGE, mention: /--list takes no task name/ });
  cases.push({ args: ['events', 'extra'], expect: USAGE, mention: /too many arguments/ });
  cases.push({ args: ['events', '--json'], expect: USAGE, mention: /--json goes with --dump/ });
  cases.push({ args: ['shell', 'extra'], expect: USAGE, mention: /too many arguments/ });
  return cases;
}
