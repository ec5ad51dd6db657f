import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { childEnvironment } from '../../src/adapters/process/child-environment.js';
import { registerTeardown } from './process-cleanup.js';

/** A child process of a test, stopped (SIGTERM, then SIGKILL) at `stop()` and at teardown. */
export interface TestChild {
  child: ChildProcess;
  /** Everything it printed on stdout so far. */
  output(): string;
  stop(): Promise<void>;
}

function track(child: ChildProcess): TestChild {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', () => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const unregister = registerTeardown(stop);
  return {
    child,
    output: () => output,
    async stop() {
      await stop();
      unregister();
    },
  };
}

/**
 * `etcdctl watch` as an operator would run it: credentials, when given, in
 * ETCDCTL_USER/ETCDCTL_PASSWORD (etcdctl 3.4 reads every flag from an
 * ETCDCTL_ variable), so that no password is on its command line.
 */
export function startEtcdctlWatch(options: {
  endpoint: string;
  key: string;
  prefix?: boolean;
  credentials?: { username: string; password: string } | undefined;
}): TestChild {
  return track(
    spawn(
      '/usr/bin/etcdctl',
      ['--endpoints', options.endpoint, 'watch', ...(options.prefix ? ['--prefix'] : []), options.key],
      {
        env: {
          ...childEnvironment(),
          ETCDCTL_API: '3',
          ...(options.credentials
            ? { ETCDCTL_USER: options.credentials.username, ETCDCTL_PASSWORD: options.credentials.password }
            : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
}

/** One etcdctl command with credentials in its environment; its exit code and output. */
export async function etcdctl(
  endpoint: string,
  args: string[],
  credentials?: { username: string; password: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('/usr/bin/etcdctl', ['--endpoints', endpoint, ...args], {
    env: {
      ...childEnvironment(),
      ETCDCTL_API: '3',
      ...(credentials ? { ETCDCTL_USER: credentials.username, ETCDCTL_PASSWORD: credentials.password } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? 1, stdout, stderr };
}

/**
 * A process that puts a key under `prefix` through etcd's JSON gateway every
 * 200 ms, as an application keeping its own state in the shared etcd would:
 * a plain node process, which the census knows only by what it writes.
 */
export function startKeyWriter(endpoint: string, prefix: string): TestChild {
  const script = `
    const [endpoint, prefix] = process.argv.slice(1);
    const b64 = (s) => Buffer.from(s).toString('base64');
    let n = 0;
    setInterval(() => {
      n += 1;
      fetch(endpoint + '/v3/kv/put', { method: 'POST', body: JSON.stringify({ key: b64(prefix + (n % 5)), value: b64(String(n)) }) })
        .then((r) => r.text(), () => undefined);
    }, 200);
  `;
  return track(spawn(process.execPath, ['-e', script, endpoint, prefix], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

export interface PostgresWriterTally {
  ok: number;
  failed: number;
}

/** Inserts into one primary every 50 ms (a cluster of one node: it stays the primary), counting each failed write. */
export function startPostgresWriter(options: { port: number; password: string }): {
  stop(): Promise<PostgresWriterTally>;
} {
  let running = true;
  const tally: PostgresWriterTally = { ok: 0, failed: 0 };
  const loop = (async () => {
    let client: pg.Client | undefined;
    while (running) {
      try {
        if (!client) {
          const fresh = new pg.Client({
            host: '127.0.0.1',
            port: options.port,
            user: 'postgres',
            password: options.password,
            database: 'postgres',
            connectionTimeoutMillis: 2_000,
            query_timeout: 2_000,
          });
          fresh.on('error', () => undefined);
          await fresh.connect();
          await fresh.query(
            'CREATE TABLE IF NOT EXISTS census_writer (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())',
          );
          client = fresh;
        }
        await client.query('INSERT INTO census_writer DEFAULT VALUES');
        tally.ok += 1;
      } catch {
        tally.failed += 1;
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      await sleep(50);
    }
    await client?.end().catch(() => undefined);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return tally;
    },
  };
}
