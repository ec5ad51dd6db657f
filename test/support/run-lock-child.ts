/**
 * A coordinator process for the run lock tests: takes the run lock on the
 * etcd named by PGFLEET_TEST_ETCD_ENDPOINTS (comma-separated) with the TTL of
 * argv[2], then obeys lines on stdin: `fence KEY VALUE` (a fenced write),
 * `release`. It reports each event as one JSON line on stdout:
 * {"event":"acquired"|"lost"|"fence"|"released", ...}.
 */
import { createInterface } from 'node:readline';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { acquireRunLock } from '../../src/adapters/etcd/run-lock.js';
import { isPgfleetError } from '../../src/core/errors.js';

const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const client = new EtcdClient({
  endpoints: (process.env.PGFLEET_TEST_ETCD_ENDPOINTS ?? '').split(','),
  timeoutMs: 2_000,
});
const lock = await acquireRunLock(client, {
  kind: 'etcd-auth',
  runId: `child-${process.pid}`,
  phase: 'probing',
  ttlSeconds: Number(process.argv[2] ?? 2),
  onLost: (error) => report({ event: 'lost', code: error.code, reason: error.details?.reason }),
});
report({ event: 'acquired', runId: lock.holder.runId, leaseId: lock.leaseId, ttlSeconds: lock.holder.ttlSeconds });

for await (const line of createInterface({ input: process.stdin })) {
  const [command, key, value] = line.split(' ');
  if (command === 'fence') {
    try {
      await lock.fence(key!, value!);
      report({ event: 'fence', ok: true });
    } catch (error) {
      report({ event: 'fence', ok: false, code: isPgfleetError(error) ? error.code : String(error) });
    }
  } else if (command === 'release') {
    report({ event: 'released', outcome: await lock.release() });
    break;
  }
}
await client.close();
