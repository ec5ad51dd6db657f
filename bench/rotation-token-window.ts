/**
 * bench/rotation-token-window: what rotating a tenant's etcd password costs
 * the members that hold a token, measured on the lab (etcd 3.4.23, simple
 * tokens, Patroni 3.0.2), for the two schemes pgfleet could use:
 *   - in place: the new password in every member's YAML (reload), then
 *     `changepw` in etcd;
 *   - two users: a second user with the same role, members switched to it
 *     (YAML + reload), then the old user deleted.
 * First, at the etcd level: does `changepw` invalidate the user's existing
 * simple tokens (and only that user's)? How often does an auth-store change
 * fail a write in flight ("revision of auth store is old", which Patroni
 * 3.0.2 does not retry)? Then, on a paused cluster under writers: each
 * member's DCS write (PATCH /config) every ~200 ms through the rotation,
 * refused writes, and what Patroni logged. Prints figures; asserts nothing.
 * Usage: npm run bench:rotation (node --import tsx bench/rotation-token-window.ts)
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { EtcdAuthApi } from '../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../src/adapters/etcd/etcd-client.js';
import { generatePassword, readSecretFile } from '../src/adapters/fs/secret-file.js';
import { PatroniRestClient } from '../src/adapters/patroni/rest-client.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { labEtcdEndpoints, labPortCount } from '../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../src/core/settings/site-paths.js';
import type { Secret } from '../src/core/secret.js';
import { startFleetWriters } from '../src/lab/fleet-writers.js';
import { labDown } from '../src/lab/lab-down.js';
import { labEnv } from '../src/lab/lab-env.js';
import { etcdRootPasswordFile } from '../src/lab/lab-secrets.js';
import { labSiteSettings } from '../src/lab/lab-settings.js';
import { type LabUpResult, labUp } from '../src/lab/lab-up.js';
import { leadersAndTimelines, startRoleWatch } from '../src/lab/role-watch.js';
import { type LocalInstance, listLocalInstances } from '../src/node/local-instances.js';
import { writeCredentialsIntoConfig } from '../src/node/patroni-credentials.js';

const CLI_PATH = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run bash scripts/setup.sh`);

const AUTH_LINE =
  /Invalid auth token|Trying to authenticate|authentication failed|Username or password|revision of auth store|Failed to|demot|Error communicating/i;
/** Lines every HA cycle writes while paused: left out of the report. */
const ROUTINE_LINE = /PAUSE: no action|no action\. I am|Lock owner:|No PostgreSQL configuration items changed|^\s/;
const ROUNDS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const parent = await mkdtemp(join(tmpdir(), 'pgfleet-bench-rotation-'));
await chmod(parent, 0o755);
const dir = join(parent, 'lab');
const shape = { clusters: 3, nodes: 2, etcdMembers: 3 };
let lab: LabUpResult | undefined;
try {
  lab = await labUp({ ...shape, basePort: await findFreePortRange(labPortCount(shape)), dir, timeoutMs: 600_000 });
  const env = { ...process.env, ...(await labEnv(dir)), NO_COLOR: '1' };
  await promisify(execFile)(process.execPath, [CLI_PATH, 'etcd', 'auth', 'migrate', '--yes'], {
    env,
    timeout: 300_000,
  });
  const topology = lab.state.topology;
  const endpoints = labEtcdEndpoints(topology);
  const settings = labSiteSettings(dir, topology).settings;
  const paths = resolveSitePaths(settings, { isRoot: process.getuid?.() === 0, home: '/', env: {} });
  const secretsDir = settings.tenancy.secrets_dir!;
  const rootPassword = await readSecretFile(etcdRootPasswordFile(dir), 'root');
  const admin = new EtcdClient({ endpoints, credentials: { username: 'root', password: rootPassword } });
  const auth = new EtcdAuthApi(admin);
  const tenantPassword = (user: string) => readSecretFile(join(secretsDir, `${user}.password`), user);

  console.log('--- etcd level (raw tokens through the JSON gateway) ---');
  await tokenFacts(endpoints[0]!, auth, tenantPassword);
  await oldRevisionRace(endpoints[0]!, auth, tenantPassword);

  const instances = await listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir);
  const before = await leadersAndTimelines(topology);
  const watch = startRoleWatch(topology, 1_000);
  const writers = startFleetWriters(dir, topology, new Map([...before].map(([scope, v]) => [scope, v.leader])));
  await sleep(1_000);
  try {
    console.log('\n--- in place, cluster alpha (paused) ---');
    await inPlace(
      instances.filter((i) => i.scope === 'alpha'),
      auth,
      await tenantPassword('patroni-alpha'),
    );
    console.log('\n--- two users, cluster beta (paused) ---');
    await twoUsers(
      instances.filter((i) => i.scope === 'beta'),
      auth,
    );
  } finally {
    const tallies = await writers.stop();
    const roles = await watch.stop();
    console.log(
      `\nwriters: ${tallies.map((t) => `${t.scope} ${t.failed}/${t.ok + t.failed} failed`).join(', ')}; role samples ${roles.samples}, demotions ${roles.demotions.length}, leader changes ${roles.leaderChanges.length}`,
    );
  }
  await admin.close();
} finally {
  await labDown(dir).catch(() => undefined);
  await rm(parent, { recursive: true, force: true });
}

/** One raw gateway call with an explicit token: its gRPC error message, or 'ok'. */
async function rawCall(endpoint: string, path: string, body: unknown, token?: string): Promise<string> {
  const dispatcher = new Agent();
  try {
    const answer = await request(`${endpoint}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
      dispatcher,
    });
    const text = await answer.body.text();
    if (answer.statusCode === 200) return 'ok';
    return (JSON.parse(text) as { error?: string; message?: string }).message ?? text;
  } finally {
    await dispatcher.close();
  }
}

async function tokenOf(endpoint: string, user: string, password: Secret): Promise<string> {
  const dispatcher = new Agent();
  try {
    const answer = await request(`${endpoint}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name: user, password: password.reveal() }),
      dispatcher,
    });
    const parsed = (await answer.body.json()) as { token?: string; message?: string };
    if (!parsed.token) throw new Error(`authenticate ${user}: ${parsed.message}`);
    return parsed.token;
  } finally {
    await dispatcher.close();
  }
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}
function rangeOf(prefix: string): { key: string } {
  return { key: b64(`${prefix}leader`) };
}

async function tokenFacts(
  endpoint: string,
  auth: EtcdAuthApi,
  tenantPassword: (user: string) => Promise<Secret>,
): Promise<void> {
  const gammaPassword = await tenantPassword('patroni-gamma');
  const betaPassword = await tenantPassword('patroni-beta');
  const gammaToken = await tokenOf(endpoint, 'patroni-gamma', gammaPassword);
  const betaToken = await tokenOf(endpoint, 'patroni-beta', betaPassword);
  console.log(
    `before changepw: gamma token → ${await rawCall(endpoint, '/v3/kv/range', rangeOf('/service/gamma/'), gammaToken)}`,
  );
  const fresh = generatePassword();
  await auth.changePassword('patroni-gamma', fresh);
  console.log(
    `after changepw of patroni-gamma: its old token → ${await rawCall(endpoint, '/v3/kv/range', rangeOf('/service/gamma/'), gammaToken)}`,
  );
  console.log(
    `after changepw of patroni-gamma: patroni-beta's token → ${await rawCall(endpoint, '/v3/kv/range', rangeOf('/service/beta/'), betaToken)}`,
  );
  console.log(
    `authenticate patroni-gamma with the old password → ${await rawCall(endpoint, '/v3/auth/authenticate', { name: 'patroni-gamma', password: gammaPassword.reveal() })}`,
  );
  console.log(
    `authenticate patroni-gamma with the new password → ${await rawCall(endpoint, '/v3/auth/authenticate', { name: 'patroni-gamma', password: fresh.reveal() })}`,
  );
  // Another user's auth-store change (user add, grant, delete): does it touch patroni-beta's token?
  const probeUser = 'pgfleet-bench-other';
  await auth.addUser(probeUser, generatePassword());
  await auth.grantRole(probeUser, 'patroni-beta');
  await auth.deleteUser(probeUser);
  console.log(
    `after user add + grant + delete of another user: patroni-beta's token → ${await rawCall(endpoint, '/v3/kv/range', rangeOf('/service/beta/'), betaToken)}`,
  );
  // Put gamma back (its members still have the old password, and a paused cluster is not what this part measures).
  await auth.changePassword('patroni-gamma', gammaPassword);
}

/** Writes in flight while auth-store revisions change: how many fail "revision of auth store is old". */
async function oldRevisionRace(
  endpoint: string,
  auth: EtcdAuthApi,
  tenantPassword: (user: string) => Promise<Secret>,
): Promise<void> {
  const token = await tokenOf(endpoint, 'patroni-beta', await tenantPassword('patroni-beta'));
  const outcomes = new Map<string, number>();
  let running = true;
  const writer = (async () => {
    for (let i = 0; running; i += 1) {
      const answer = await rawCall(
        endpoint,
        '/v3/kv/put',
        { key: b64(`/service/beta/bench-${i % 10}`), value: b64('x') },
        token,
      );
      outcomes.set(answer, (outcomes.get(answer) ?? 0) + 1);
    }
  })();
  const probeUser = 'pgfleet-bench-revisions';
  await auth.addUser(probeUser, generatePassword());
  const changes = 50;
  const started = Date.now();
  for (let i = 0; i < changes; i += 1) await auth.changePassword(probeUser, generatePassword());
  const elapsed = Date.now() - started;
  running = false;
  await writer;
  await auth.deleteUser(probeUser);
  console.log(
    `${changes} changepw of another user in ${elapsed} ms while one client of patroni-beta wrote in a loop: ${[...outcomes].map(([answer, count]) => `${count} × ${answer}`).join(', ')}`,
  );
}

interface ProbeTally {
  attempts: number;
  refused: Array<{ member: string; atMs: number; status: number | string }>;
}

/** Each member of the (paused) cluster writes a marker to /config in turn, about every 200 ms, until stopped. */
function startWriteProbes(instances: LocalInstance[], t0: () => number): { stop(): Promise<ProbeTally> } {
  const tally: ProbeTally = { attempts: 0, refused: [] };
  let running = true;
  const loop = (async () => {
    const clients = instances.map((instance) => ({
      instance,
      rest: new PatroniRestClient(instance.restUrl, {}, 15_000),
    }));
    try {
      for (let round = 0; running; round += 1) {
        for (const { instance, rest } of clients) {
          // The member's watch cache must show the previous write, or the compare-and-set answers 409 for nothing.
          await sleep(200);
          const marker = `${instance.node}-${round}`;
          let status: number | string;
          for (let attempt = 0; ; attempt += 1) {
            try {
              status = (await rest.patchConfig({ pgfleet_bench: marker })).status;
            } catch (error) {
              status = error instanceof Error ? error.message : String(error);
            }
            // A genuine compare-and-set conflict (cache one event behind) is retried after a beat; a refusal stays 409.
            if (status !== 409 || attempt === 3) break;
            await sleep(300);
          }
          tally.attempts += 1;
          if (status !== 200) tally.refused.push({ member: instance.node, atMs: Date.now() - t0(), status });
        }
      }
    } finally {
      await Promise.all(clients.map(({ rest }) => rest.close()));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return tally;
    },
  };
}

async function logSize(instance: LocalInstance): Promise<number> {
  return (await readFile(instance.logFile!)).length;
}

async function logLinesSince(instance: LocalInstance, offset: number): Promise<string[]> {
  // Complete lines only: the last one may still be being written.
  return (await readFile(instance.logFile!)).subarray(offset).toString('utf8').split('\n').slice(0, -1);
}

async function pause(instances: LocalInstance[], paused: boolean): Promise<void> {
  const rest = new PatroniRestClient(instances[0]!.restUrl);
  try {
    await rest.patchConfig({ pause: paused });
  } finally {
    await rest.close();
  }
  await sleep(12_000);
}

async function reloadAll(instances: LocalInstance[]): Promise<void> {
  for (const instance of instances) {
    const rest = new PatroniRestClient(instance.restUrl);
    try {
      await rest.reload();
    } finally {
      await rest.close();
    }
  }
  // The reload is applied at the next HA cycle (loop_wait 10 s).
  await sleep(12_000);
}

async function measure(instances: LocalInstance[], label: string, change: () => Promise<void>): Promise<void> {
  const offsets = await Promise.all(instances.map(logSize));
  let t0 = Date.now();
  const probes = startWriteProbes(instances, () => t0);
  await sleep(3_000);
  t0 = Date.now();
  await change();
  const changedAfter = Date.now() - t0;
  await sleep(15_000);
  const tally = await probes.stop();
  console.log(
    `${label}: etcd call took ${changedAfter} ms; ${tally.attempts} member writes probed from 3 s before to 15 s after`,
  );
  console.log(
    `  refused: ${tally.refused.length === 0 ? 'none' : tally.refused.map((r) => `${r.member} at ${r.atMs} ms (${r.status})`).join(', ')}`,
  );
  for (const [index, instance] of instances.entries()) {
    const lines = (await logLinesSince(instance, offsets[index]!)).filter(
      (line) => line.trim() !== '' && !ROUTINE_LINE.test(line),
    );
    console.log(`  ${instance.node} log (routine HA lines left out): ${lines.length === 0 ? 'nothing' : ''}`);
    for (const line of lines)
      console.log(`    ${line.replace(/Invalid auth token: \S+/, 'Invalid auth token: <token>')}`);
  }
}

async function inPlace(instances: LocalInstance[], auth: EtcdAuthApi, _old: Secret): Promise<void> {
  await pause(instances, true);
  for (let round = 1; round <= ROUNDS; round += 1) {
    const fresh = generatePassword();
    const offsets = await Promise.all(instances.map(logSize));
    for (const instance of instances)
      await writeCredentialsIntoConfig(instance, { username: 'patroni-alpha', password: fresh });
    await reloadAll(instances);
    await printLinesSince(instances, offsets, 'after the YAML reload (old password still in etcd)', AUTH_LINE);
    await measure(instances, `round ${round}: changepw patroni-alpha`, () =>
      auth.changePassword('patroni-alpha', fresh),
    );
  }
  await pause(instances, false);
}

async function twoUsers(instances: LocalInstance[], auth: EtcdAuthApi): Promise<void> {
  await pause(instances, true);
  const users = ['patroni-beta', 'patroni-beta-next'];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const [old, next] = round % 2 === 1 ? users : [...users].reverse();
    const fresh = generatePassword();
    const offsets = await Promise.all(instances.map(logSize));
    const t0 = Date.now();
    await auth.addUser(next!, fresh);
    await auth.grantRole(next!, 'patroni-beta');
    console.log(`round ${round}: user add ${next} + grant: ${Date.now() - t0} ms`);
    for (const instance of instances) await writeCredentialsIntoConfig(instance, { username: next!, password: fresh });
    await reloadAll(instances);
    await printLinesSince(
      instances,
      offsets,
      `switched to ${next} in its YAML and reloaded (still holds a token of ${old})`,
      AUTH_LINE,
    );
    await measure(instances, `round ${round}: delete user ${old}`, () => auth.deleteUser(old!));
  }
  await pause(instances, false);
}

async function printLinesSince(
  instances: LocalInstance[],
  offsets: number[],
  label: string,
  pattern: RegExp,
): Promise<void> {
  for (const [index, instance] of instances.entries()) {
    const lines = (await logLinesSince(instance, offsets[index]!)).filter((line) => pattern.test(line));
    console.log(`  ${instance.node}: ${label}: ${lines.length} matching line(s)`);
    for (const line of lines)
      console.log(`    ${line.replace(/Invalid auth token: \S+/, 'Invalid auth token: <token>')}`);
  }
}
