import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PgfleetError } from '../../core/errors.js';

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
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'EADDRINUSE' ? 'in-use' : error.code === 'EADDRNOTAVAIL' ? 'not-local' : (error.code ?? 'error'),
      ),
    );
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

/**
 * The ports a lab may take: from 10000 up to just below the kernel's
 * ephemeral range (net.ipv4.ip_local_port_range, 32768 by default). A port
 * inside that range can be taken at any moment as the local end of an
 * outgoing connection (a client of etcd or PostgreSQL), after it was found free.
 */
export function labPortWindow(): { min: number; max: number } {
  let ephemeralLow = 32_768;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > 11_000) ephemeralLow = low;
  } catch {
    // Not Linux, or /proc unavailable: keep the kernel's usual default.
  }
  return { min: 10_000, max: ephemeralLow - 1 };
}

/**
 * A base port from which `count` consecutive ports are free, chosen at
 * random (in labPortWindow by default) to avoid other labs. When no try finds
 * one (or the window is smaller than the range), LAB_NO_FREE_PORT_RANGE
 * (exit 2): the machine's ports, not pgfleet, are the problem.
 */
export async function findFreePortRange(
  count: number,
  options: { min?: number; max?: number; attempts?: number } = {},
): Promise<number> {
  const window = labPortWindow();
  const min = options.min ?? window.min;
  const max = options.max ?? window.max;
  const attempts = options.attempts ?? 50;
  // Bases from min to max - count + 1: the whole range stays inside [min, max].
  const bases = max - count + 2 - min;
  if (bases < 1) throw noFreePortRangeError(count, min, max, 0);
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const base = min + Math.floor(Math.random() * bases);
    const ports = Array.from({ length: count }, (_, index) => base + index);
    if ((await takenPorts(ports)).length === 0) return base;
  }
  throw noFreePortRangeError(count, min, max, attempts);
}

function noFreePortRangeError(count: number, min: number, max: number, attempts: number): PgfleetError {
  const where = `between ${min} and ${max}`;
  return new PgfleetError(
    'LAB_NO_FREE_PORT_RANGE',
    attempts === 0
      ? `no range of ${count} consecutive ports fits ${where}`
      : `no range of ${count} free consecutive ports found ${where} on 127.0.0.1 (${attempts} random tries)`,
    {
      hint: 'pass --base-port with the first port of a free range (`ss -ltn` lists the ports in use), or stop labs you no longer need (`pgfleet lab down --dir DIR`)',
      details: { count, min, max, attempts },
    },
  );
}
