import { setTimeout as sleep } from 'node:timers/promises';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';

/**
 * Makes a member write to the DCS with its own credentials: PATCH /config
 * through its REST API with a real change (a marker key, or null to remove
 * it), until it answers 200, for up to a minute. Right after auth goes on,
 * every member re-authenticates at once (bcrypt, 2 cores shared with other
 * tests), so a first write may time out or conflict. A member without
 * working credentials never answers 200: the last answer is returned.
 */
export async function writeThroughMember(restUrl: string, marker: string | null): Promise<number | string> {
  const rest = new PatroniRestClient(restUrl, {}, 20_000);
  const deadline = Date.now() + 60_000;
  let last: number | string = 'no answer';
  try {
    while (Date.now() < deadline) {
      try {
        last = (await rest.patchConfig({ pgfleet_probe: marker })).status;
        if (last === 200) return last;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(1_000);
    }
    return last;
  } finally {
    await rest.close();
  }
}
