import assert from 'node:assert/strict';
import { processesOnHost } from '../../src/core/lab/multihost-topology.js';
import { type TwoPrimaries, twoPrimaryMoments } from '../../src/core/lab/role-samples.js';
import type { FleetWatchReport } from '../../src/lab/fleet-watch.js';
import { type LabAgent, startLabAgent } from '../../src/lab/lab-agent.js';
import type { LabState } from '../../src/lab/lab-state.js';

export interface MultiHostWatch {
  /** Stops every view and the writers; the reports of every view, the coordinator's first. */
  stop(): Promise<FleetWatchReport[]>;
}

/**
 * Watches a multi-host lab while a scenario runs: on the coordinator host, a
 * writer on every primary and every member's role sampled each second; on
 * every member host, its own members' roles, asked over its own address (a
 * partition does not hide a host's own view). Resolves once every view has
 * taken its first sample.
 */
export async function watchMultiHostLab(state: LabState, intervalMs = 1_000): Promise<MultiHostWatch> {
  const views: Array<{ agent: LabAgent; ready: Promise<void> }> = [];
  const start = (host: string, request: Parameters<typeof startLabAgent>[2]): void => {
    let signalReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const agent = startLabAgent(state, host, request, (event) => {
      if (event.event === 'ready') signalReady();
    });
    // A view that fails before its first sample must not leave the wait hanging.
    agent.result.then(signalReady, signalReady);
    views.push({ agent, ready });
  };
  start('coordinator', { task: 'watch', dir: state.dir, view: 'coordinator', writers: true, intervalMs });
  for (const host of state.topology.hosts ?? []) {
    if (processesOnHost(state.topology, host.name).nodes.length === 0) continue;
    start(host.name, { task: 'watch', dir: state.dir, view: 'own', writers: false, intervalMs });
  }
  await Promise.all(views.map((view) => view.ready));
  return {
    async stop() {
      for (const view of views) view.agent.send('stop');
      return (await Promise.all(views.map((view) => view.agent.result))) as FleetWatchReport[];
    },
  };
}

/** One line of figures for a test's diagnostics: writes acknowledged and failed, role samples per view. */
export function describeWatch(reports: readonly FleetWatchReport[]): string {
  const coordinator = reports.find((report) => report.view === 'coordinator');
  const writes = (coordinator?.writers ?? []).map((tally) => `${tally.scope} ${tally.ok} ok/${tally.failed} failed`);
  const samples = reports.map((report) => `${report.view} ${report.samples.length}`);
  return `writes: ${writes.join(', ')}; role samples: ${samples.join(', ')}`;
}

/** No cluster had two primaries at any sample, from any view; every view sampled. */
export function assertNoTwoPrimaries(reports: readonly FleetWatchReport[]): void {
  for (const report of reports) assert.ok(report.samples.length > 0, `the ${report.view} view sampled roles`);
  const moments: TwoPrimaries[] = twoPrimaryMoments(reports.flatMap((report) => report.samples));
  assert.deepEqual(moments, [], 'no two primaries in one cluster at any sample');
}

/** The writers wrote, and every write acknowledged to them is on the cluster's primary at the end. */
export function assertAcknowledgedWritesReadable(reports: readonly FleetWatchReport[]): void {
  const coordinator = reports.find((report) => report.view === 'coordinator');
  assert.ok(coordinator, 'the coordinator view ran the writers');
  assert.ok(coordinator.acknowledgedWrites.length > 0, 'writers ran');
  for (const check of coordinator.acknowledgedWrites) {
    assert.ok(check.primary, `${check.scope} has a primary at the end`);
    assert.ok(check.acknowledged > 0, `${check.scope}: writes were acknowledged`);
    assert.equal(check.readable, check.acknowledged, `${check.scope}: every acknowledged write is on ${check.primary}`);
  }
}
