// Binds a server of ours (the console, the dashboard, a worker's /metrics) to its port, or fails with one line naming the address and the reason.
import type { Server } from 'node:net';
import { hostPort } from '../config/index.js';

/** The port is taken, not ours to take, or the address is not on this machine: the process cannot start (exit 71). */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is in use by another process',
  EACCES: 'not allowed to use this port (below 1024?)',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'the host name is not known',
  EAI_AGAIN: 'the host name could not be looked up',
};

/**
 * Listens on `port` (0: any free one) at `host`, or on the listening socket `fd` passed by systemd (socket activation);
 * rejects with a ListenError naming `what`, the address and why.
 */
export function listenOn(server: Server, port: number, host: string, what: string, fd?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason = (error.code && REASONS[error.code]) ?? error.message;
      const address = fd === undefined ? hostPort(host, port) : `the socket systemd passed (fd ${fd})`;
      reject(new ListenError(`cannot serve ${what} on ${address}: ${reason}${error.code ? ` (${error.code})` : ''}`, error.code));
    };
    server.once('error', onError);
    const listening = () => {
      server.off('error', onError);
      resolve();
    };
    if (fd === undefined) server.listen(port, host, listening);
    else server.listen({ fd }, listening);
  });
}
