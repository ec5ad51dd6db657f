import { spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedactedLogLines, redactPatroniLogLine } from '../core/instance/patroni-log-redaction.js';
import { patroniUnitName } from '../core/instance/systemd-unit.js';
import { childEnvironment } from '../adapters/process/child-environment.js';
import { isRoot } from '../adapters/process/os-user.js';
import { serviceOf } from './instance-lifecycle.js';
import type { InstanceSite, ManagedInstance } from './instance-site.js';

/** The last lines of an instance's Patroni log (its file, or its unit's journal), etcd tokens redacted. */
export async function instanceLogTail(
  site: InstanceSite,
  instance: ManagedInstance,
  lines: number,
): Promise<{ source: string; lines: string[] }> {
  const service = serviceOf(site, instance);
  const text = await service.logTail(lines);
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return { source: service.logSource, lines: all.slice(-lines).map(redactPatroniLogLine) };
}

/** Follows the log as it grows until `signal` aborts (Ctrl-C): the file, or `journalctl -f`; whole lines, etcd tokens redacted. */
export async function followInstanceLog(
  site: InstanceSite,
  instance: ManagedInstance,
  write: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const lines = new RedactedLogLines();
  try {
    await followRaw(instance, (chunk) => write(lines.push(chunk)), signal);
  } finally {
    write(lines.flush());
  }
}

async function followRaw(instance: ManagedInstance, write: (text: string) => void, signal: AbortSignal): Promise<void> {
  if (instance.record?.service === 'systemd') {
    const child = spawn(
      'journalctl',
      [
        ...(isRoot() ? [] : ['--user']),
        '-u',
        patroniUnitName(instance.name),
        '-f',
        '-n',
        '0',
        '--no-pager',
        '-o',
        'cat',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], signal, env: childEnvironment() },
    );
    child.stdout.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    return;
  }
  const file = instance.layout.logFile;
  let position = (await stat(file).catch(() => undefined))?.size ?? 0;
  while (!signal.aborted) {
    const size = (await stat(file).catch(() => undefined))?.size ?? 0;
    if (size < position) position = 0;
    if (size > position) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(size - position);
        await handle.read(buffer, 0, buffer.length, position);
        write(buffer.toString('utf8'));
        position = size;
      } finally {
        await handle.close();
      }
    }
    await sleep(250, undefined, { signal }).catch(() => undefined);
  }
}
