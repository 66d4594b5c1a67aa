// `gwqueue web` (alias `flask run`, as GWCelery's operators type it): the operator console on port 5000.
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { action, CliError, EXIT } from './context.js';
import { setStopBound, stopSignal, throwIfStopRequested, untilStopRequested } from './stop-signals.js';

export function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  // Digits only: Number() reads "" and " " as 0 (any free port) and takes "1e3" or "0x50".
  if (!/^\d{1,5}$/.test(raw) || port > 65_535) throw new CliError(`--port must be a whole number from 0 to 65535 (got "${raw}")`);
  return port;
}

/** An IP address or a host name; "" would listen on every interface, anything else fails only at listen(). */
export function parseHost(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (
    !isIP(raw) &&
    !/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(raw)
  ) {
    throw new CliError(`--host must be an IP address or a host name (got "${raw}")`);
  }
  return raw;
}

export function parseProcesses(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new CliError(`--processes must be a whole number from 1 to 64 (got "${raw}")`);
  return count;
}

export function register(program: Command): void {
  program
    .command('web')
    .alias('flask')
    .description('run the operator console (forms, task pages, audit log)')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 5000)')
    .option('-H, --host <address>', 'address to listen on (default: GWQUEUE_WEB_HOST or 127.0.0.1)')
    .option('-P, --processes <n>', 'console processes sharing the port (default: GWQUEUE_WEB_PROCESSES or 1)')
    .argument('[run]', 'accepted for `gwqueue flask run` compatibility')
    .action(
      action(async (_run: string | undefined, options: { port?: string; host?: string; processes?: string }) => {
        if (_run !== undefined && _run !== 'run')
          throw new CliError(`unexpected argument "${_run}" (only \`gwqueue flask run\` takes one)`);
        const port = parsePort(options.port);
        const host = parseHost(options.host);
        const processes = parseProcesses(options.processes);
        const [{ getConfig }, cluster] = await Promise.all([import('../config/index.js'), import('../web/cluster.js')]);
        const config = getConfig();
        setStopBound(config.worker.shutdownTimeoutMs + 1000);
        const count = processes ?? config.web.processes;
        const listen = { port: port ?? config.web.port, host: host ?? config.web.host };
        const fd = config.web.activatedSocket;
        // The cluster's primary would close the passed socket when its last process dies (Node's round-robin handle):
        // the port would be lost for good. A socket-activated console is one process that systemd restarts.
        if (fd !== undefined && count > 1)
          throw new CliError(
            `systemd passed a socket (LISTEN_FDS): run one console process, not ${count} (GWQUEUE_WEB_PROCESSES, --processes)`,
            EXIT.CONFIG,
          );
        if (fd !== undefined && (port !== undefined || host !== undefined))
          throw new CliError('systemd passed a socket (LISTEN_FDS): its ListenStream= is the address; drop --port and --host', EXIT.CONFIG);
        if (count > 1 && !cluster.isConsoleWorker()) {
          // Forked console processes would be stopped before they could catch the signal (and counted as unclean).
          throwIfStopRequested();
          const say = (line: string) => process.stderr.write(`gwqueue: ${line}\n`);
          const { code } = await cluster.runConsoleCluster({
            processes: count,
            listen,
            stop: untilStopRequested(),
            say,
            stopTimeoutMs: config.worker.shutdownTimeoutMs,
            urlPrefix: config.web.urlPrefix,
          });
          return code;
        }
        const [{ startWebServer }] = await Promise.all([import('../web/server.js'), import('../tasks/index.js')]);
        // A SIGTERM while it starts (waiting for a hung Redis) ends the start: StartStopped, exit 0. A console process
        // of a cluster listens only once it serves: the cluster would give it connections as soon as it listens.
        // A passed socket is taken up once the app serves: meanwhile its connections wait in the backlog (not a 503).
        const onceReady = cluster.isConsoleWorker() || fd !== undefined;
        const web = await startWebServer(config, { ...listen, fd, signal: stopSignal, onceReady });
        if (!cluster.isConsoleWorker()) process.stderr.write(`gwqueue: console at ${web.url}${config.web.urlPrefix}\n`);
        await Promise.race([untilStopRequested(), cluster.isConsoleWorker() ? cluster.untilPrimaryGone() : new Promise(() => {})]);
        // Bounded (GWQUEUE_SHUTDOWN_TIMEOUT_MS for requests in flight, then 0.3 s for Redis), whatever Redis does.
        const clean = await web.close();
        cluster.leaveCluster();
        return clean ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
