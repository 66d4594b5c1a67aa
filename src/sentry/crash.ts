// Process-wide crash reporting: an uncaught exception or unhandled rejection is logged, sent to Sentry, then the process exits (70).
import { processRole, roleOf, setProcessRole } from '../log/process-role.js';

/** EX_SOFTWARE, as the CLI uses for internal errors. */
export const CRASH_EXIT_CODE = 70;
const CRASH_DEADLINE_MS = 5000;

let crashing = false;

async function crash(error: unknown, origin: string): Promise<void> {
  if (crashing) return;
  crashing = true;
  // Whoever read our output went away (`gwqueue munin | head`): nothing is wrong with gwqueue, so no report.
  if ((error as NodeJS.ErrnoException)?.code === 'EPIPE' && process.stdout.destroyed) process.exit(0);
  process.exitCode = CRASH_EXIT_CODE;
  // Whatever happens below, the process ends.
  setTimeout(() => process.exit(CRASH_EXIT_CODE), CRASH_DEADLINE_MS).unref();
  const e = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`gwqueue: crashed (${origin}): ${e.stack ?? e.message}\n`);
  // Loaded only now, so that a command that never crashes does not load the logger or Sentry for this.
  const [logging, sentry] = await Promise.all([import('../log/logger.js'), import('./sentry.js')]).catch(
    () => [undefined, undefined] as const,
  );
  try {
    logging?.rootLogger().fatal({ err: e, origin, reported: true }, 'process crashed');
  } catch {}
  try {
    const { getConfig } = await import('../config/index.js');
    await sentry?.initSentry(getConfig());
  } catch {}
  await sentry?.captureCrash(e, origin, processRole()).catch(() => {});
  await logging?.closeLogs().catch(() => {});
  process.exit(CRASH_EXIT_CODE);
}

let installed = false;

/** Installs the crash handlers (once). */
export function installCrashHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (error, origin) => void crash(error, origin));
  process.on('unhandledRejection', (reason) => void crash(reason, 'unhandledRejection'));
}

/** Called by the program entry: names the process for its logs and reports crashes. */
export function initProcess(argv: string[] = process.argv): void {
  setProcessRole(roleOf(argv));
  installCrashHandlers();
  // Warnings of any command go to Sentry when a DSN is configured; loaded only then (a bad config is reported later).
  void import('../config/index.js')
    .then(({ getConfig }) => {
      const config = getConfig();
      if (config.observability.sentryDsn) return import('./sentry.js').then((sentry) => sentry.initSentry(config));
    })
    .catch(() => {});
}
