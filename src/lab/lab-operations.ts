import { parseLabEtcdApi } from '../core/lab/lab-etcd-api.js';
import { labPortCount } from '../core/lab/lab-topology.js';
import type { Interruption, OperationOutcome, OperationProgress, TerminalProgress } from '../core/operation-outcome.js';
import { findFreePortRange } from '../adapters/process/port-probe.js';
import { labDemo } from './lab-demo.js';
import { labDown } from './lab-down.js';
import { labEnv, renderShellExports } from './lab-env.js';
import { labEtcdHttpsOnly } from './lab-etcd-https-only.js';
import { labExec } from './lab-exec.js';
import { type NarrationOutput, labNarrator } from './lab-narrator.js';
import { labHeal, labPartition } from './lab-partition.js';
import { prepareLabRestApiTls } from './lab-restapi-tls.js';
import { defaultLabDir } from './lab-state.js';
import { labStatus } from './lab-status.js';
import { renderLabStatus } from './lab-status-table.js';
import { type LabUpResult, labUp } from './lab-up.js';
import { multiHostLabDemo } from './multihost-demo.js';
import { multiHostLabUp } from './multihost-up.js';
import type { DemoNarrator } from './demo-narrator.js';
import { replayOutage } from './outage-replay.js';

/** `lab up`'s options as the CLI takes them. */
export interface LabUpRequest {
  clusters: number;
  nodes: number;
  etcdMembers: number;
  hosts?: number | undefined;
  basePort?: number | undefined;
  /** Comma-separated cluster names. */
  scopes?: string | undefined;
  /** Seconds. */
  timeout?: number | undefined;
  dir?: string | undefined;
  etcdTls?: 'https' | 'dual' | undefined;
  etcdApi: string;
}

/**
 * `lab up`: one host on loopback, or a multi-host lab (--hosts). An
 * interruption (Ctrl-C) stops the start: what was started is stopped and the
 * lab directory removed (LAB_UP_INTERRUPTED, exit 130); a later one only
 * says the clean-up goes on.
 */
export async function startLab(
  request: LabUpRequest,
  options: { interruption: Interruption; progress: TerminalProgress },
): Promise<OperationOutcome> {
  const { progress } = options;
  let heard = 0;
  const interruption = options.interruption(() => {
    if (heard++ > 0) progress.warn('still stopping the lab processes started so far; a moment');
  });
  let result: LabUpResult;
  try {
    const shape = {
      signal: interruption.signal,
      clusters: request.clusters,
      nodes: request.nodes,
      etcdMembers: request.etcdMembers,
      scopes: request.scopes?.split(',').map((scope) => scope.trim()),
      dir: request.dir,
      etcdTls: request.etcdTls ?? 'off',
      etcdApi: parseLabEtcdApi(request.etcdApi),
      timeoutMs: request.timeout === undefined ? undefined : request.timeout * 1000,
      onProgress: (message: string, transient: boolean) =>
        transient ? progress.progress(message) : progress.step(message),
    } as const;
    result =
      request.hosts === undefined
        ? await labUp({ ...shape, basePort: request.basePort ?? (await findFreePortRange(labPortCount(request))) })
        : await multiHostLabUp({ ...shape, hosts: request.hosts, basePort: request.basePort });
  } finally {
    interruption.stop();
  }
  progress.endProgress();
  const hosts = result.state.topology.hosts;
  return {
    data: {
      dir: result.state.dir,
      elapsedMs: result.elapsedMs,
      memory: result.memory,
      settingsFile: result.state.settingsFile,
      ...(hosts ? { hosts } : {}),
      clusters: result.readiness.map((r) => ({ scope: r.scope, leader: r.leader, streaming: r.streaming })),
    },
    text: () =>
      [
        `lab ready in ${(result.elapsedMs / 1000).toFixed(1)} s, its ${result.memory.processes} processes holding ${Math.round(result.memory.bytes / 1048576)} MB: ${result.state.dir}`,
        ...(hosts ? [`  hosts: ${hosts.map((host) => `${host.name} ${host.address}`).join(', ')}`] : []),
        ...result.readiness.map(
          (r) => `  ${r.scope}: leader ${r.leader}, streaming: ${r.streaming.join(', ') || 'none'}`,
        ),
        hosts
          ? `use it with: pgfleet lab exec coordinator --dir ${result.state.dir} -- pgfleet etcd auth status`
          : `use it with: eval "$(pgfleet lab env --dir ${result.state.dir})"`,
      ].join('\n'),
  };
}

/** `lab status`. */
export async function showLabStatus(dir: string | undefined): Promise<OperationOutcome> {
  const status = await labStatus(dir ?? defaultLabDir());
  return { data: status, text: () => renderLabStatus(status) };
}

/** `lab env`: shell exports pointing pgfleet and patronictl at the lab. */
export async function showLabEnv(dir: string | undefined, node: string | undefined): Promise<OperationOutcome> {
  const variables = await labEnv(dir ?? defaultLabDir(), node);
  return { data: variables, text: () => renderShellExports(variables) };
}

/** `lab down`. */
export async function takeLabDown(dir: string | undefined): Promise<OperationOutcome> {
  const result = await labDown(dir ?? defaultLabDir());
  return {
    data: result,
    text: () =>
      result.existed
        ? `lab stopped (${result.stopped.length} processes) and ${result.dir} removed`
        : `no lab at ${result.dir}: nothing to do`,
  };
}

/**
 * `lab exec HOST -- CMD…`: exits with the command's code, its output its
 * own. Listening to interruptions while it runs: a Ctrl-C reaches the
 * command (same terminal process group), and pgfleet waits for it rather
 * than leave it behind.
 */
export async function execOnLabHost(
  dir: string | undefined,
  host: string,
  argv: readonly string[],
  options: { interruption: Interruption },
): Promise<OperationOutcome<undefined>> {
  const listening = options.interruption(() => undefined);
  try {
    return { data: undefined, text: () => '', exitCode: await labExec(dir ?? defaultLabDir(), host, argv) };
  } finally {
    listening.stop();
  }
}

/** `lab partition HOST [--from HOST…]`. */
export async function partitionLabHost(
  dir: string | undefined,
  host: string,
  from: readonly string[],
): Promise<OperationOutcome> {
  const links = await labPartition(dir ?? defaultLabDir(), host, from);
  return {
    data: links,
    text: () => `${host} is cut from ${links.cutFrom.join(', ')}: their packets are lost both ways`,
  };
}

/** `lab heal HOST`. */
export async function healLabHost(dir: string | undefined, host: string): Promise<OperationOutcome> {
  const links = await labHeal(dir ?? defaultLabDir(), host);
  return {
    data: links,
    text: () =>
      links.cuts.length === 0
        ? `${host} reaches every host again; no link of the lab is cut`
        : `${host} reaches every host again; still cut: ${links.cuts.map(([a, b]) => `${a}-${b}`).join(', ')}`,
  };
}

/** `lab etcd-https-only`. */
export async function dropLabEtcdHttp(
  dir: string | undefined,
  options: { progress: OperationProgress },
): Promise<OperationOutcome> {
  const result = await labEtcdHttpsOnly(dir ?? defaultLabDir(), {
    onProgress: (message) => options.progress.step(message),
  });
  return {
    data: result,
    text: () =>
      [
        ...result.members.map((member) => `  ${member.name}: https only, healthy after ${member.healthyAfterMs} ms`),
        `etcd serves https only; http ports ${result.closedHttpPorts.join(', ')} closed`,
      ].join('\n'),
  };
}

/** `lab restapi-tls`. */
export async function prepareLabRestApi(
  dir: string | undefined,
  options: { verifyClient: 'none' | 'optional' | 'required'; basicAuth: boolean },
): Promise<OperationOutcome> {
  const result = await prepareLabRestApiTls(dir ?? defaultLabDir(), options);
  return {
    data: result,
    text: () =>
      [
        `certificates in ${result.tlsDir} (CA and keys in ${result.pkiDir})`,
        `${result.settingsFile}: patroni.restapi (verify_client ${options.verifyClient}${result.passwordFile ? ', basic auth' : ''}) and patroni.ctl set`,
        'roll it out with: pgfleet restapi secure plan, then pgfleet restapi secure apply',
      ].join('\n'),
  };
}

/** A lab story's options as the CLI takes them. */
export interface LabStoryRequest {
  keep: boolean;
  basePort?: number | undefined;
  dir?: string | undefined;
  hosts?: number | undefined;
}

interface StoryRun {
  output: NarrationOutput & OperationProgress;
  interruption: Interruption;
}

/** `lab demo`: the story on one host, or across hosts (--hosts). */
export async function tellLabDemo(request: LabStoryRequest, run: StoryRun): Promise<OperationOutcome<undefined>> {
  return tellStory(run, (narrator, signal) =>
    request.hosts === undefined
      ? labDemo({ ...request, narrator, signal })
      : multiHostLabDemo({ ...request, hosts: request.hosts, narrator, signal }),
  );
}

/** `lab replay-outage`. */
export async function tellOutageReplay(request: LabStoryRequest, run: StoryRun): Promise<OperationOutcome<undefined>> {
  return tellStory(run, (narrator, signal) => replayOutage({ ...request, narrator, signal }));
}

/**
 * A narrated story on a lab, ending with its summary; the narration is the
 * output. An interruption (Ctrl-C) stops it and it cleans up (a lab it
 * started is taken down): LAB_STORY_INTERRUPTED, exit 130, the step under
 * way abandoned; later ones do not cut the clean-up short.
 */
async function tellStory(
  run: StoryRun,
  story: (narrator: DemoNarrator, signal: AbortSignal) => Promise<{ summary: string[]; kept: boolean; dir: string }>,
): Promise<OperationOutcome<undefined>> {
  let heard = 0;
  const interruption = run.interruption(() =>
    run.output.warn(heard++ > 0 ? 'still cleaning up; a moment' : 'interrupted: stopping the story and cleaning up'),
  );
  try {
    const narrator = labNarrator(run.output, renderLabStatus);
    const result = await story(narrator, interruption.signal);
    narrator.summary(result.summary, `lab ${result.kept ? `kept in ${result.dir}` : 'stopped and removed'}`);
    return { data: undefined, text: () => '' };
  } finally {
    interruption.stop();
  }
}
