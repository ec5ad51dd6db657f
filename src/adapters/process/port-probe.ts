import { createServer } from 'node:net';

/** True when nothing listens on host:port (we can bind it). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await probeListen(port, host)) === 'free';
}

/**
 * Whether a server could listen on host:port: `free`, `in-use`
 * (EADDRINUSE), `not-local` (EADDRNOTAVAIL: no such address on this host),
 * or another error code.
 */
export function probeListen(port: number, host: string): Promise<'free' | 'in-use' | 'not-local' | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'in-use' : error.code === 'EADDRNOTAVAIL' ? 'not-local' : (error.code ?? 'error')));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve('free'));
    });
  });
}

/** The ports among `ports` that are already taken. */
export async function takenPorts(ports: number[], host = '127.0.0.1'): Promise<number[]> {
  const results = await Promise.all(ports.map(async (port) => ((await isPortFree(port, host)) ? undefined : port)));
  return results.filter((port): port is number => port !== undefined);
}

/** A base port from which `count` consecutive ports are free, chosen at random to avoid other labs. */
export async function findFreePortRange(count: number, options: { min?: number; max?: number; attempts?: number } = {}): Promise<number> {
  const min = options.min ?? 20_000;
  const max = options.max ?? 60_000;
  for (let attempt = 0; attempt < (options.attempts ?? 50); attempt += 1) {
    const base = min + Math.floor(Math.random() * (max - min - count));
    const ports = Array.from({ length: count }, (_, index) => base + index);
    if ((await takenPorts(ports)).length === 0) return base;
  }
  throw new Error(`no range of ${count} free ports found between ${min} and ${max}`);
}
