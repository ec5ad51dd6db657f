/**
 * A coordinator process for tests: runs `enforceEtcdAuth` with the
 * connection described in a 0600 JSON file (argv[2]; passwords never on the
 * command line) and kills itself with SIGKILL right after the given phase is
 * recorded (argv[3]), as a crashed or killed coordinator would.
 */
import { readFileSync } from 'node:fs';
import { Secret } from '../../src/core/secret.js';
import type { EnforcePhase } from '../../src/core/migration/enforce-state.js';
import { listLocalInstances } from '../../src/instance/local-instances.js';
import { enforceEtcdAuth } from '../../src/migration/etcd-auth/enforce-run.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  endpoints: string[];
  configDir: string;
  rootPassword: string;
  tenants: Record<string, string>;
};
const killAfter = process.argv[3] as EnforcePhase;

await enforceEtcdAuth(
  {
    endpoints: spec.endpoints,
    namespaces: ['/service/'],
    admin: { username: 'root', password: new Secret(spec.rootPassword) },
    localInstances: await listLocalInstances(spec.configDir),
    tenants: {
      userFor: (_ns, scope) => `patroni-${scope}`,
      credentialsFor: async (_ns, scope) => (spec.tenants[scope] ? { username: `patroni-${scope}`, password: new Secret(spec.tenants[scope]!) } : undefined),
    },
  },
  {
    afterPhase: async (phase) => {
      if (phase === killAfter) process.kill(process.pid, 'SIGKILL');
    },
  },
);
