import { PgfleetError } from '../core/errors.js';
import type { InstanceSpec } from '../core/patroni-config/instance-spec.js';
import { probeListen } from '../adapters/process/port-probe.js';

/** PostgreSQL's and the REST API's listen addresses must be free, and on this host: checked before anything starts. */
export async function checkListenAddresses(spec: InstanceSpec): Promise<void> {
  const pgHosts =
    spec.postgresql.listenHost === '*' ? ['0.0.0.0'] : spec.postgresql.listenHost.split(',').map(unbracket);
  const checks: Array<{ what: string; option: string; host: string; port: number }> = pgHosts.map((host) => ({
    what: 'PostgreSQL',
    option: '--port',
    host,
    port: spec.postgresql.port,
  }));
  const rest = /^(.*):(\d+)$/.exec(spec.restapi.listen);
  if (rest)
    checks.push({
      what: 'the Patroni REST API',
      option: '--patroni-restapi-listen',
      host: ['', '*'].includes(rest[1]!) ? '0.0.0.0' : unbracket(rest[1]!),
      port: Number(rest[2]),
    });
  for (const check of checks) {
    const result = await probeListen(check.port, check.host);
    if (result === 'in-use') {
      throw new PgfleetError(
        'INSTANCE_PORT_IN_USE',
        `port ${check.port} for ${check.what} is already in use on ${check.host}`,
        {
          hint: `stop what listens there (ss -ltnp 'sport = :${check.port}' shows it), or choose another ${check.option}`,
        },
      );
    }
    if (result === 'not-local') {
      throw new PgfleetError(
        'INSTANCE_ADDRESS_NOT_LOCAL',
        `${check.what} cannot listen on ${check.host}: no such address on this host`,
        { hint: `fix ${check.option === '--port' ? '--patroni-postgresql-listen' : check.option}` },
      );
    }
  }
}

function unbracket(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, '$1');
}
