// Loopback TCP servers that hang a Redis client: one never answers at all, one answers the connection handshake and then nothing.
import net from 'node:net';

export interface HangingServer {
  url: string;
  /** Commands received, by name (lowercase). */
  received: string[];
  close(): Promise<void>;
}

/** Splits RESP arrays of bulk strings (what clients send) into commands; returns the unparsed rest. */
function takeCommands(buffer: string, onCommand: (args: string[]) => void): string {
  let rest = buffer;
  for (;;) {
    const match = /^\*(\d+)\r\n/.exec(rest);
    if (!match) return rest;
    let offset = match[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(match[1]); i++) {
      const header = /^\$(\d+)\r\n/.exec(rest.slice(offset));
      if (!header) return rest;
      const start = offset + header[0].length;
      const end = start + Number(header[1]);
      if (rest.length < end + 2) return rest;
      args.push(rest.slice(start, end));
      offset = end + 2;
    }
    onCommand(args);
    rest = rest.slice(offset);
  }
}

/**
 * `handshake: false`: accepts connections and never sends a byte. `handshake: true`: answers what ioredis sends before
 * it is ready (CLIENT SETINFO, INFO) like a healthy Redis, then never answers another command.
 */
export async function startHangingServer(options: { handshake: boolean }): Promise<HangingServer> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer = takeCommands(buffer + chunk.toString('latin1'), ([name = '']) => {
        const command = name.toLowerCase();
        received.push(command);
        if (!options.handshake) return;
        if (command === 'client') socket.write('+OK\r\n');
        if (command === 'info') {
          const info = '# Server\r\nredis_version:7.0.0\r\n# Persistence\r\nloading:0\r\n';
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${address.port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
