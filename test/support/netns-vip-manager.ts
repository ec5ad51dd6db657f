import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { registerTeardown } from './process-cleanup.js';

const run = promisify(execFile);

export interface NetnsVipManager {
  /** vip-manager's pid (`ip netns exec` becomes it). */
  pid: number;
  namespace: string;
  /** What vip-manager printed (its log goes to stderr). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Debian's vip-manager (1.0.2, etcd v2 only) running for a cluster, the way
 * it runs next to a Patroni member, inside a network namespace of the test's
 * own: vip-manager refuses the loopback device (no hardware address for its
 * gratuitous ARP), so it gets a veth pair there, addressed from a private
 * range used only inside that namespace, and its VIP can only ever land
 * there. etcd listens on the host's 127.0.0.1, which the namespace does not
 * reach: a relay carries its etcd connections to it through a unix socket
 * (the file system is shared), on the same host:port, so that its
 * configuration names the etcd the census looks at. The namespace, the relay
 * and vip-manager are removed at `stop()` and at teardown.
 */
export async function startVipManagerInNetns(options: {
  /** `http://127.0.0.1:PORT` of the etcd. */
  etcdEndpoint: string;
  triggerKey: string;
  triggerValue: string;
}): Promise<NetnsVipManager> {
  const port = Number(new URL(options.etcdEndpoint).port);
  const namespace = `pgf-vip-${randomBytes(3).toString('hex')}`;
  const subnet = `10.213.${randomInt(1, 250)}`;
  const dir = await mkdtemp(join(tmpdir(), 'pgfleet-vip-'));
  const socketPath = join(dir, 'etcd.sock');
  const children: ChildProcess[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      if (!(await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]))) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await run('ip', ['netns', 'del', namespace]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = registerTeardown(stop);
  try {
    await run('ip', ['netns', 'add', namespace]);
    for (const args of [
      ['link', 'set', 'lo', 'up'],
      ['link', 'add', 'vip0', 'type', 'veth', 'peer', 'name', 'vip1'],
      ['addr', 'add', `${subnet}.1/24`, 'dev', 'vip0'],
      ['link', 'set', 'vip0', 'up'],
      ['link', 'set', 'vip1', 'up'],
    ])
      await run('ip', ['-n', namespace, ...args]);

    // Host side of the relay: unix socket → etcd on 127.0.0.1.
    server = createServer((inbound) => {
      const outbound = connect(port, '127.0.0.1');
      for (const socket of [inbound, outbound]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    server.listen(socketPath);
    await once(server, 'listening');
    // Namespace side: 127.0.0.1:<etcd port> inside it → the unix socket.
    const relay = spawn(
      'ip',
      [
        'netns',
        'exec',
        namespace,
        process.execPath,
        '-e',
        `const net = require('node:net');
         const [port, path] = process.argv.slice(1);
         net.createServer((inbound) => {
           const outbound = net.connect(path);
           inbound.on('error', () => {}); outbound.on('error', () => {});
           inbound.pipe(outbound).pipe(inbound);
         }).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'));`,
        String(port),
        socketPath,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(relay);
    await waitForOutput(relay, /ready/, 10_000);

    let log = '';
    const vip = spawn(
      'ip',
      [
        'netns',
        'exec',
        namespace,
        '/usr/bin/vip-manager',
        '--ip',
        `${subnet}.10`,
        '--netmask',
        '24',
        '--interface',
        'vip0',
        '--trigger-key',
        options.triggerKey,
        '--trigger-value',
        options.triggerValue,
        '--dcs-type',
        'etcd',
        '--dcs-endpoints',
        `http://127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(vip);
    vip.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    vip.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    // It reads the trigger key every second: two rounds show it up and talking to etcd.
    await sleep(2_500);
    if (vip.exitCode !== null) throw new Error(`vip-manager exited (${vip.exitCode}):\n${log}`);
    return {
      pid: vip.pid!,
      namespace,
      log: () => log,
      async stop() {
        await stop();
        unregister();
      },
    };
  } catch (error) {
    await stop();
    unregister();
    throw error;
  }
}

async function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${pattern}: ${seen}`));
    });
  });
}
