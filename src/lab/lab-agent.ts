import { spawn } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ExitCode, type ExitCodeValue, PgfleetError } from '../core/errors.js';
import { inNamespace } from '../adapters/net/network-namespace.js';
import { labHostEnvironment } from './lab-hosts.js';
import { labHostNamespace } from './lab-network.js';
import type { LabState } from './lab-state.js';

/**
 * A multi-host lab's addresses exist only inside its namespaces: pgfleet in
 * the root namespace cannot reach them (and must not try: its packets would
 * follow the machine's default route). What the lab does over the network
 * runs as a lab agent: this same pgfleet, as a child process started inside
 * a host's namespace with that host's environment. It reads one request on
 * stdin and answers with JSON lines on stdout (events, then one result or
 * error). A closed stdin tells it its parent is gone: it stops.
 */
export type LabAgentRequest =
  | { task: 'start-fleet'; dir: string; timeoutMs: number; etcdAuthToken?: string | undefined }
  | { task: 'status'; dir: string }
  | { task: 'watch'; dir: string; view: 'coordinator' | 'own'; writers: boolean; intervalMs: number }
  | { task: 'demo'; dir: string; cli: string[]; labUpMs: number };

export type LabAgentEvent =
  | { event: 'progress'; message: string; transient: boolean }
  | { event: 'narrate'; kind: 'step' | 'command' | 'say' | 'progress' | 'endProgress' | 'status'; value: unknown }
  | { event: 'ready' }
  | { event: 'result'; value: unknown }
  | { event: 'error'; error: { code: string; message: string; hint?: string; exitCode?: number; details?: unknown } };

export interface LabAgent {
  /** The agent's result, or its error as a PgfleetError. */
  result: Promise<unknown>;
  /** A line to the agent (`stop` ends a watch). */
  send(line: string): void;
  /** Stops it at once (SIGTERM); its result then rejects. */
  kill(): void;
}

/** How this pgfleet runs a file of its own: node, the loader it was started with when run from TypeScript sources. */
export function ownEntryCommand(relativeFile: string): string[] {
  const self = fileURLToPath(import.meta.url);
  const extension = extname(self);
  const entry = join(dirname(self), `${relativeFile}${extension}`);
  const loader: string[] = [];
  if (extension === '.ts') {
    const argv = process.execArgv;
    for (let index = 0; index < argv.length; index += 1) {
      const flag = argv[index]!;
      if (/^--(import|require|loader|experimental-loader)$/.test(flag) && argv[index + 1] !== undefined)
        loader.push(flag, argv[++index]!);
      else if (/^--(import|require|loader|experimental-loader)=/.test(flag)) loader.push(flag);
    }
  }
  return [process.execPath, ...loader, entry];
}

/** The environment of a program run on a lab host: this one's, without pgfleet's and patronictl's own variables, plus the host's. */
export function labHostProcessEnvironment(state: Pick<LabState, 'dir' | 'topology'>, host: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PGFLEET_|PATRONICTL_)/.test(name)),
  );
  return { ...inherited, ...labHostEnvironment(state, host) };
}

export function startLabAgent(
  state: Pick<LabState, 'dir' | 'topology' | 'network'>,
  host: string,
  request: LabAgentRequest,
  onEvent: (event: LabAgentEvent) => void = () => undefined,
): LabAgent {
  const [node, ...args] = ownEntryCommand('lab-agent-main');
  const launch = inNamespace(labHostNamespace(state, host), node!, args);
  const child = spawn(launch.command, launch.args, {
    env: { ...labHostProcessEnvironment(state, host), NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${JSON.stringify(request)}\n`);
  let outcome: { ok: true; value: unknown } | { ok: false; error: PgfleetError } | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event: LabAgentEvent;
    try {
      event = JSON.parse(line) as LabAgentEvent;
    } catch {
      return;
    }
    if (event.event === 'result') outcome = { ok: true, value: event.value };
    else if (event.event === 'error')
      outcome = {
        ok: false,
        error: new PgfleetError(event.error.code, event.error.message, {
          hint: event.error.hint,
          exitCode: (event.error.exitCode ?? ExitCode.failed) as ExitCodeValue,
          details: event.error.details as Record<string, unknown> | undefined,
        }),
      };
    else onEvent(event);
  });
  const result = new Promise<unknown>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new PgfleetError('LAB_AGENT_FAILED', `could not start the lab agent on ${host}: ${error.message}`)),
    );
    child.once('close', (code, signal) => {
      lines.close();
      if (outcome?.ok) resolve(outcome.value);
      else if (outcome) reject(outcome.error);
      else
        reject(
          new PgfleetError(
            'LAB_AGENT_FAILED',
            `the lab agent on ${host} (${request.task}) ended without an answer (${signal ?? `exit ${code}`})`,
            {
              hint: stderr.trim() ? `its last words: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : '',
              exitCode: 4,
            },
          ),
        );
    });
  });
  return {
    result,
    send: (line) => {
      if (child.stdin.writable) child.stdin.write(`${line}\n`);
    },
    kill: () => {
      child.kill('SIGTERM');
    },
  };
}

/** Runs one agent task to its end; an aborted signal stops the agent and rejects with `interruption()`. */
export async function runLabAgent<T>(
  state: Pick<LabState, 'dir' | 'topology' | 'network'>,
  host: string,
  request: LabAgentRequest,
  options: {
    onEvent?: (event: LabAgentEvent) => void;
    signal?: AbortSignal | undefined;
    interruption?: () => Error;
  } = {},
): Promise<T> {
  const agent = startLabAgent(state, host, request, options.onEvent);
  const signal = options.signal;
  if (!signal) return (await agent.result) as T;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      agent.kill();
      agent.result.catch(() => undefined);
      reject(options.interruption?.() ?? new PgfleetError('LAB_INTERRUPTED', 'interrupted', { exitCode: 130 }));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    agent.result.then(
      (value) => resolve(value as T),
      (error: unknown) => reject(error),
    );
    void agent.result.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
  });
}
