// A loopback TCP proxy in front of a real Redis that can lose one reply (the command runs, its answer never arrives) or hold a new connection unanswered.
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
  /**
   * The next client connection is accepted but held: nothing it sends reaches Redis, so nothing comes back, until
   * release() passes on what it sent and lets the rest through, as for a process whose Redis answers late.
   * `accepted` resolves once that connection is made.
   */
  holdNextConnection(): { accepted: Promise<void>; release(): void };
  /** How many client connections the proxy has accepted (a reconnect is one more). */
  connections(): number;
  close(): Promise<void>;
}

export async function startReplyCutProxy(redisPort: number): Promise<ReplyCutProxy> {
  let armed: { marker: string; done: (answer: Buffer) => void } | undefined;
  let accepted = 0;
  let holding: { accepted: () => void; released: Promise<void> } | undefined;
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
    const forward = (chunk: Buffer) => {
      if (armed && chunk.includes(armed.marker)) {
        cutting = armed.done;
        armed = undefined;
      }
      upstream.write(chunk);
    };
    // While this connection is held, what the client sends waits here, in order.
    let held: Buffer[] | undefined;
    if (holding) {
      const hold = holding;
      holding = undefined;
      held = [];
      void hold.released.then(() => {
        const waiting = held ?? [];
        held = undefined;
        waiting.forEach(forward);
      });
      hold.accepted();
    }
    client.on('data', (chunk: Buffer) => (held ? held.push(chunk) : forward(chunk)));
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
    holdNextConnection: () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const accepted = new Promise<void>((resolve) => (holding = { accepted: resolve, released }));
      return { accepted, release };
    },
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
