// `gwqueue munin [GRAPH] [config|autoconf|suggest]`: a Munin plugin (queue depth, task rates, workers online); also runs as a gwqueue_GRAPH symlink.
import path from 'node:path';
import type { Command } from 'commander';
import { action, CliError, EXIT, print } from './context.js';

const MODES = ['config', 'autoconf', 'suggest', 'fetch'] as const;
type Mode = (typeof MODES)[number];
const GRAPH_NAMES = ['queues', 'tasks', 'workers'];

/**
 * Munin runs /etc/munin/plugins/gwqueue_queues [config|autoconf]: with bin/gwqueue.js behind that symlink, rewrite
 * the arguments to `munin queues [config]` before commander reads them.
 */
export function muninArgv(argv: string[]): string[] {
  const match = /^gwqueue_(\w+)$/.exec(path.basename(argv[1] ?? ''));
  if (!match) return argv;
  return [argv[0], argv[1], 'munin', match[1], ...argv.slice(2)];
}

function parseArguments(first: string | undefined, second: string | undefined): { graph: string | undefined; mode: Mode } {
  let graph = first;
  let mode = second;
  if (graph && (MODES as readonly string[]).includes(graph) && mode === undefined) [graph, mode] = [undefined, graph];
  if (graph !== undefined && !GRAPH_NAMES.includes(graph))
    throw new CliError(`unknown graph "${graph}" (known: ${GRAPH_NAMES.join(', ')})`);
  if (mode !== undefined && !(MODES as readonly string[]).includes(mode))
    throw new CliError(`unknown mode "${mode}" (config, autoconf, suggest, or none to fetch)`);
  return { graph, mode: (mode ?? 'fetch') as Mode };
}

export function register(program: Command): void {
  const rewritten = muninArgv(process.argv);
  if (rewritten !== process.argv) process.argv.splice(0, process.argv.length, ...rewritten);
  program
    .command('munin')
    .description('Munin plugin: queue depth, task rates and workers online (config, fetch, autoconf, suggest)')
    .argument('[graph]', `one graph (${GRAPH_NAMES.join(', ')}); none: all of them as a multigraph plugin`)
    .argument('[mode]', 'config, autoconf or suggest; none: fetch the values')
    .option('-t, --timeout <seconds>', 'give up on Redis after this long', '10')
    .action(
      action(async (first: string | undefined, second: string | undefined, options: { timeout: string }) => {
        const { graph, mode } = parseArguments(first, second);
        const timeoutMs = Number(options.timeout) * 1000;
        if (!/^\d+(\.\d+)?$/.test(options.timeout) || !(timeoutMs > 0) || timeoutMs > 3_600_000)
          throw new CliError(`--timeout must be a number of seconds, more than 0 and at most 3600 (got "${options.timeout}")`);
        if (mode === 'suggest') {
          GRAPH_NAMES.forEach((name) => print(name));
          return EXIT.OK;
        }
        const [{ getConfig }, { createRedisConnection, describeRedis, waitUntilReady }, { registeredQueues }, snapshotModule, munin] =
          await Promise.all([
            import('../config/index.js'),
            import('../redis/connection.js'),
            import('../queue/registry.js'),
            import('../metrics/cluster-snapshot.js'),
            import('../metrics/munin.js'),
            import('../tasks/index.js'),
          ]);
        const config = getConfig();
        const redis = createRedisConnection(config, 'producer');
        try {
          let reachable = true;
          try {
            await waitUntilReady(redis, config, Math.min(timeoutMs, config.redis.connectTimeoutMs));
          } catch (error) {
            reachable = false;
            if (mode === 'autoconf') {
              print(`no (cannot reach Redis at ${describeRedis(config)})`);
              return EXIT.OK;
            }
            process.stderr.write(`gwqueue: ${(error as Error).message}\n`);
          }
          if (mode === 'autoconf') {
            print('yes');
            return EXIT.OK;
          }
          const snapshot = reachable
            ? await snapshotModule.readClusterSnapshot(redis, config).catch((error: Error) => {
                process.stderr.write(`gwqueue: cannot read the queues: ${error.message}\n`);
                return undefined;
              })
            : undefined;
          const queues = snapshot ? snapshot.queues.map((q) => q.name) : registeredQueues();
          const graphs = graph ? [graph as (typeof munin.GRAPHS)[number]] : [...munin.GRAPHS];
          for (const name of graphs) {
            if (!graph) print(`multigraph gwqueue_${name}`);
            const lines = mode === 'config' ? munin.muninConfig(name, config, queues) : munin.muninFetch(name, config, queues, snapshot);
            lines.forEach((line) => print(line));
          }
          return EXIT.OK;
        } finally {
          redis.disconnect();
        }
      }),
    );
}
