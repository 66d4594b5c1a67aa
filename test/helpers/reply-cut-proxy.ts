// A loopback TCP proxy in front of a real Redis that can lose one reply: the command runs, its answer never arrives.
import net from 'node:net';
import { once } from 'node:events';

export interface ReplyCutProxy {
  /** redis://127.0.0.1:<port>: connect through the proxy. */
  url: string;
  /**
   * The next command whose bytes contain `marker` is passed to Redis; when Redis answers, the answer is dropped and
   * the client's connection closed, as when Redis dies right after running it. Resolves once that has happened, with
   * the answer that was dropped.
   */
  cutReplyTo(marker: string): Promise<Buffer>;
  /** How many client connections the proxy has accepted (a reconnect is one more). */
  connections(): number;
  close(): Promise<void>;
}

export async function startReplyCutProxy(redisPort: number): Promise<ReplyCutProxy> {
  let armed: { marker: string; done: (answer: Buffer) => void } | undefined;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Set when this connection sent the marked command: the next bytes from Redis are its answer.
    let cutting: ((answer: Buffer) => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(armed.marker)) {
        cutting = armed.done;
        armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      const done = cutting;
      cutting = undefined;
      drop();
      done(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    cutReplyTo: (marker) => new Promise<Buffer>((resolve) => (armed = { marker, done: resolve })),
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
