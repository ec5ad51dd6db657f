/**
 * bench/audit: wall time of `pgfleet audit`, static and --live, over a fleet
 * of 100 clusters (target: static + live ≤ 5 s): a real lab (1 etcd, 2
 * clusters × 2 nodes) whose etcd also holds 98 synthetic clusters — 100
 * tenants (user + role on the cluster prefix) created through the auth API,
 * 2 member keys per cluster whose api_url points at the lab's real REST APIs
 * — and 196 synthetic Patroni YAMLs beside the lab's 4. Measured twice: with
 * the REST APIs open (http), then protected as `pgfleet lab restapi-tls` and
 * `pgfleet restapi secure apply` leave them (https, verify_client optional,
 * basic auth; the synthetic members described the same way), where every
 * probe is a TLS handshake. Prints figures; asserts nothing.
 * Usage: node --import tsx bench/audit.ts [runs]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { EtcdAuthApi } from '../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../src/adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../src/adapters/fs/atomic-file.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { loadSiteSettings } from '../src/adapters/settings/site-settings-file.js';
import { auditFleet } from '../src/audit/audit-fleet.js';
import { labEtcdEndpoints, labPortCount } from '../src/core/lab/lab-topology.js';
import { prefixRange } from '../src/core/etcd/key-range.js';
import { Secret } from '../src/core/secret.js';
import { labDown } from '../src/lab/lab-down.js';
import { labEnv } from '../src/lab/lab-env.js';
import { labUp } from '../src/lab/lab-up.js';

/** The synthetic configurations hold a password, as real ones do: a random one, never a literal. */
const SYNTHETIC_PASSWORD = randomBytes(12).toString('base64url');

const runs = Number(process.argv[2] ?? 3);
const CLUSTERS = 100;
const shape = { clusters: 2, nodes: 2, etcdMembers: 1 };
const parent = await mkdtemp(join(tmpdir(), 'pgfleet-bench-audit-'));
await chmod(parent, 0o755);
const dir = join(parent, 'lab');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const run = promisify(execFile);

try {
  const basePort = await findFreePortRange(labPortCount(shape));
  const { state } = await labUp({ ...shape, basePort, dir });
  const endpoints = labEtcdEndpoints(state.topology);
  const realNodes = state.topology.clusters.flatMap((cluster) => cluster.nodes);
  const synthetic = Array.from(
    { length: CLUSTERS - state.topology.clusters.length },
    (_, index) => `synth-${String(index + 3).padStart(3, '0')}`,
  );
  const configDir = join(dir, 'patroni');
  const env = { ...process.env, ...(await labEnv(dir)) };

  const etcd = new EtcdClient({ endpoints });
  const auth = new EtcdAuthApi(etcd);
  const setupStarted = performance.now();
  for (const scope of [...state.topology.clusters.map((cluster) => cluster.scope), ...synthetic]) {
    const name = `patroni-${scope}`;
    await auth.addUser(name, new Secret(`${SYNTHETIC_PASSWORD}-${scope}`));
    await auth.addRole(name);
    await auth.grantPermission(name, { ...prefixRange(`/service/${scope}/`), permType: 'READWRITE' });
    await auth.grantRole(name, name);
  }

  /** The synthetic members, in the DCS and as YAMLs, each pointing at one of the lab's real REST APIs; `protection` as secure apply writes it. */
  const writeSyntheticMembers = async (protection?: {
    restapi: Record<string, unknown>;
    ctl: Record<string, unknown>;
  }) => {
    for (const [index, scope] of synthetic.entries()) {
      await etcd.put(
        `/service/${scope}/config`,
        JSON.stringify({ ttl: 30, loop_wait: 10, postgresql: { use_pg_rewind: true } }),
      );
      for (const member of [1, 2]) {
        const node = realNodes[(index * 2 + member) % realNodes.length]!;
        const name = `${scope}-${member}`;
        await etcd.put(
          `/service/${scope}/members/${name}`,
          JSON.stringify({
            api_url: `${protection ? 'https' : 'http'}://127.0.0.1:${node.restPort}/patroni`,
            conn_url: `postgres://127.0.0.1:${node.pgPort}/postgres`,
            role: member === 1 ? 'master' : 'replica',
            version: '3.0.2',
            state: 'running',
          }),
        );
        const document = {
          scope,
          namespace: '/service/',
          name,
          etcd3: {
            hosts: endpoints.map((url) => url.replace(/^https?:\/\//, '')),
            protocol: 'http',
            username: `patroni-${scope}`,
            password: `${SYNTHETIC_PASSWORD}-${scope}`,
          },
          restapi: {
            listen: `127.0.0.1:${node.restPort}`,
            connect_address: `127.0.0.1:${node.restPort}`,
            ...protection?.restapi,
          },
          ...(protection ? { ctl: protection.ctl } : {}),
          postgresql: {
            use_pg_rewind: true,
            data_dir: `/nonexistent/${name}`,
            authentication: { superuser: { username: 'postgres', password: SYNTHETIC_PASSWORD } },
          },
          watchdog: { mode: 'off' },
        };
        await writeFileAtomic(join(configDir, `${name}.yaml`), stringify(document), { mode: 0o600 });
      }
    }
  };
  await writeSyntheticMembers();
  console.log(
    `setup: ${CLUSTERS} tenants through the auth API, ${synthetic.length * 2} synthetic members and YAMLs in ${seconds(performance.now() - setupStarted)}`,
  );

  const measure = async (label: string) => {
    const loaded = loadSiteSettings(undefined, env);
    const times: Record<'static' | 'live' | 'cli', number[]> = { static: [], live: [], cli: [] };
    let summary = '';
    console.log(`${label}:`);
    for (let index = 1; index <= runs; index += 1) {
      const phases: string[] = [];
      for (const live of [false, true]) {
        const result = await auditFleet({
          settings: loaded.settings,
          settingsSource: loaded.source,
          live,
          minSeverity: 'info',
          toolVersion: 'bench',
          env,
          onPhase: (phase, ms) => live && phases.push(`${phase} ${seconds(ms)}`),
        });
        times[live ? 'live' : 'static'].push(result.elapsedMs);
        if (live)
          summary = `${result.report.summary.listed} findings (${Object.entries(result.report.summary.bySeverity)
            .map(([severity, count]) => `${count} ${severity}`)
            .join(', ')})`;
      }
      const started = performance.now();
      await run(process.execPath, [cli, '--output', 'json', 'audit', '--live'], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { code?: number }) => {
        if (error.code !== 1) throw error;
      });
      times.cli.push(performance.now() - started);
      console.log(
        `  run ${index}: static ${seconds(times.static.at(-1)!)}, live ${seconds(times.live.at(-1)!)} (${phases.join(', ')}), \`pgfleet --output json audit --live\` process ${seconds(times.cli.at(-1)!)}`,
      );
    }
    console.log(
      `  median of ${runs}: static ${seconds(median(times.static))} + live ${seconds(median(times.live))} = ${seconds(median(times.static) + median(times.live))} (target ≤ 5 s); CLI process with --live ${seconds(median(times.cli))}`,
    );
    console.log(`  live report: ${summary}`);
  };

  await measure(`audit of ${CLUSTERS} clusters (${CLUSTERS * 2} members, ${CLUSTERS} tenants), REST APIs open (http)`);

  // Protect the real members as an operator does; the synthetic YAMLs step aside meanwhile (secure apply rolls out every YAML of this host).
  for (const scope of synthetic) for (const member of [1, 2]) await rm(join(configDir, `${scope}-${member}.yaml`));
  const protectStarted = performance.now();
  await run(process.execPath, [cli, 'lab', 'restapi-tls', '--dir', dir], { env });
  await run(process.execPath, [cli, 'restapi', 'secure', 'apply'], { env });
  const protectedSettings = loadSiteSettings(undefined, env).settings.patroni!;
  await writeSyntheticMembers({
    restapi: {
      certfile: protectedSettings.restapi.certfile,
      keyfile: protectedSettings.restapi.keyfile,
      cafile: protectedSettings.restapi.cafile,
      verify_client: protectedSettings.restapi.verify_client,
      authentication: { username: 'patroni', password: SYNTHETIC_PASSWORD },
    },
    ctl: {
      cacert: protectedSettings.ctl?.cacert,
      certfile: protectedSettings.ctl?.certfile,
      keyfile: protectedSettings.ctl?.keyfile,
    },
  });
  console.log(
    `protected the lab (lab restapi-tls, restapi secure apply) and rewrote the synthetic members in ${seconds(performance.now() - protectStarted)}`,
  );
  await measure(`the same fleet with REST APIs protected (https, verify_client optional, basic auth)`);
  await etcd.close();
  console.log(
    `load average during the runs (2 cores, shared with other labs): ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await labDown(dir).catch(() => undefined);
  await rm(parent, { recursive: true, force: true });
}
