import { PgfleetError } from '../core/errors.js';
import type { RestClientAccess } from '../core/restapi/rest-client-access.js';
import { findPatroniProcess } from '../adapters/patroni/patroni-process-lookup.js';
import { restClientWithAccess } from '../fleet/member-rest-client.js';

export type ReloadChannel = 'rest' | 'sighup';

export interface ReloadOutcome {
  channel: ReloadChannel;
  /** The access whose POST /reload was accepted (rest only). */
  via?: string | undefined;
}

/**
 * Makes a member's Patroni re-read its YAML: `POST /reload` through the
 * first access that is accepted, else SIGHUP to its daemon (found by its
 * command line), which does the same without the REST API. The fallback is
 * for restoring a member whose REST API no longer answers as expected.
 */
export async function reloadMember(
  configFile: string,
  accesses: readonly RestClientAccess[],
  options: { allowSignal: boolean; timeoutMs?: number },
): Promise<ReloadOutcome> {
  const refusals: string[] = [];
  for (const access of accesses) {
    const client = restClientWithAccess(access, options.timeoutMs ?? 5_000);
    try {
      const answer = await client.reload();
      if (answer.status === 202 || answer.status === 200) return { channel: 'rest', via: access.baseUrl };
      refusals.push(`${access.baseUrl}: HTTP ${answer.status}`);
    } catch (error) {
      refusals.push(error instanceof Error ? error.message : String(error));
    } finally {
      await client.close();
    }
  }
  if (options.allowSignal) {
    const running = await findPatroniProcess(configFile);
    if (running) {
      process.kill(running.pid, 'SIGHUP');
      return { channel: 'sighup' };
    }
    refusals.push(`no running Patroni process found for ${configFile}`);
  }
  throw new PgfleetError(
    'REST_SECURE_RELOAD_FAILED',
    `could not make the Patroni of ${configFile} reload: ${refusals.join('; ')}`,
    {
      hint: 'reload it by hand (kill -HUP the Patroni process, or restart it)',
      exitCode: 4,
    },
  );
}
