// What kind of process this is (worker, web, dev, flower, or a one-shot command): names its log file and picks its terminal stream.
import path from 'node:path';

export type ProcessRole = 'worker' | 'web' | 'dev' | 'flower' | 'cli' | 'gwqueue';

let role: ProcessRole = 'gwqueue';

/** The kind of process from the command line (`gwqueue worker …` → worker). */
export function roleOf(argv: string[]): ProcessRole {
  // Installed as a Munin plugin symlink (gwqueue_queues…): a one-shot command.
  if (path.basename(argv[1] ?? '').startsWith('gwqueue_')) return 'cli';
  switch (argv[2]) {
    case 'worker':
      return 'worker';
    case 'web':
    case 'flask':
      return 'web';
    case 'dev':
      return 'dev';
    case 'flower':
      return 'flower';
    default:
      return 'cli';
  }
}

/** Set once by the program entry, before anything logs; library use and tests keep "gwqueue". */
export function setProcessRole(next: ProcessRole): void {
  role = next;
}

export function processRole(): ProcessRole {
  return role;
}

/** Servers print nothing else on stdout, so their log lines go there; one-shot commands keep stdout for their output. */
export function terminalStream(current: ProcessRole): 'stdout' | 'stderr' {
  return current === 'worker' || current === 'web' || current === 'dev' || current === 'flower' ? 'stdout' : 'stderr';
}
