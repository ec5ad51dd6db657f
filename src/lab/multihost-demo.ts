import { PgfleetError } from '../core/errors.js';
import { COORDINATOR_HOST } from '../core/lab/multihost-topology.js';
import type { DemoNarrator } from './demo-narrator.js';
import { type LabAgentEvent, runLabAgent } from './lab-agent.js';
import { labDown } from './lab-down.js';
import { thisPgfleetCommand } from './lab-exec.js';
import { defaultLabDir } from './lab-state.js';
import type { LabStatus } from './lab-status.js';
import type { MultiHostDemoOutcome } from './multihost-demo-story.js';
import { multiHostLabUp } from './multihost-up.js';
import { isStoryInterruption, narratorUntil, storyInterrupted } from './story-interrupt.js';

export interface MultiHostDemoOptions {
  hosts: number;
  dir?: string | undefined;
  keep?: boolean | undefined;
  narrator: DemoNarrator;
  /** Aborted on Ctrl-C: the story's agent is stopped, the lab taken down, LAB_STORY_INTERRUPTED (exit 130). */
  signal?: AbortSignal | undefined;
}

const CLUSTERS = 3;
const NODES = 2;
const ETCD_MEMBERS = 3;

/**
 * `pgfleet lab demo --hosts N`: the one-host demo's story on a multi-host
 * lab, as an operator runs it across hosts (see multiHostDemoStory): the
 * lab is started from here, the story is told by a lab agent on the
 * coordinator host, and the lab goes down at the end unless kept (or the
 * story did not end as it should: then it is kept for inspection).
 */
export async function multiHostLabDemo(
  options: MultiHostDemoOptions,
): Promise<MultiHostDemoOutcome & { dir: string; kept: boolean }> {
  const say = narratorUntil(options.narrator, options.signal);
  const dir = options.dir ?? defaultLabDir();
  say.step(
    `Start a multi-host lab: ${options.hosts} hosts and a coordinator, each in its own network namespace with its own address and its own pgfleet; 3 etcd members, open, and 3 Patroni clusters of 2 nodes, one node per host`,
  );
  say.command(
    `pgfleet lab up --hosts ${options.hosts} --clusters ${CLUSTERS} --nodes ${NODES} --etcd-members ${ETCD_MEMBERS} --dir ${dir}`,
  );
  const up = await multiHostLabUp({
    hosts: options.hosts,
    clusters: CLUSTERS,
    nodes: NODES,
    etcdMembers: ETCD_MEMBERS,
    dir,
    signal: options.signal,
    onProgress: (message, transient) => (transient ? say.progress(message) : say.say(message)),
  });
  say.endProgress();
  say.say(`lab ready in ${(up.elapsedMs / 1000).toFixed(1)} s, in ${dir}`);
  let kept = false;
  try {
    const outcome = await runLabAgent<MultiHostDemoOutcome>(
      up.state,
      COORDINATOR_HOST,
      { task: 'demo', dir, cli: thisPgfleetCommand(), labUpMs: up.elapsedMs },
      {
        onEvent: (event) => narrate(say, event),
        signal: options.signal,
        interruption: () => storyInterrupted('lab demo'),
      },
    );
    if (!outcome.asExpected) {
      kept = true;
      throw new PgfleetError('DEMO_UNEXPECTED', `the demo did not end as it should: ${outcome.summary.join('; ')}`, {
        hint: `the lab is kept for inspection in ${dir}; pgfleet lab down --dir ${dir} when done`,
        exitCode: 4,
      });
    }
    if (options.keep) {
      kept = true;
      say.step('Keep the lab running (--keep)');
      say.say(`use it with:  pgfleet lab exec coordinator --dir ${dir} -- pgfleet etcd auth status`);
      say.say(`stop it with: pgfleet lab down --dir ${dir}`);
    }
    return { ...outcome, dir, kept };
  } catch (error) {
    if (error instanceof PgfleetError && error.code === 'DEMO_UNEXPECTED') kept = true;
    if (isStoryInterruption(error)) kept = false;
    throw error;
  } finally {
    if (!kept) {
      options.narrator.step('Stop the lab: its processes, namespaces, bridge and addresses, and its directory');
      const down = await labDown(dir);
      options.narrator.say(
        `stopped ${down.stopped.length} processes; removed ${down.namespaces?.length ?? 0} network namespaces and ${dir}`,
      );
    }
  }
}

function narrate(say: DemoNarrator, event: LabAgentEvent): void {
  if (event.event !== 'narrate') return;
  switch (event.kind) {
    case 'step':
      say.step(String(event.value));
      break;
    case 'command':
      say.command(String(event.value));
      break;
    case 'say':
      say.say(String(event.value));
      break;
    case 'progress':
      say.progress(String(event.value));
      break;
    case 'endProgress':
      say.endProgress();
      break;
    case 'status':
      say.status(event.value as LabStatus);
      break;
  }
}
