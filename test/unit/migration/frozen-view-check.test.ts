import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';
import type { FleetRestClients } from '../../../src/fleet/fleet-rest.js';
import { membersWithFrozenView } from '../../../src/fleet/frozen-view.js';

const member = (name: string, role: string): FleetMember => ({
  namespace: '/service/',
  scope: 'beta',
  name,
  apiUrl: `http://127.0.0.1/${name}`,
  role,
  managedHere: false,
});

/**
 * Three members of one cluster as their REST APIs answer: the leader takes
 * the marker and shows it, `beta-2` answers from a view that never moves,
 * `beta-3` does not answer at all.
 */
function fleet(): FleetRestClients {
  let config: Record<string, unknown> = {};
  const clients: Record<string, object> = {
    'beta-1': {
      patchConfig: async (patch: Record<string, unknown>) => {
        config = { ...config, ...patch };
        return { status: 200, text: '' };
      },
      cluster: async () => ({ members: [] }),
      dynamicConfig: async () => config,
    },
    'beta-2': {
      patchConfig: async () => ({ status: 409, text: '' }),
      cluster: async () => ({ members: [] }),
      dynamicConfig: async () => ({}),
    },
    'beta-3': {
      patchConfig: async () => Promise.reject(new Error('ECONNREFUSED')),
      cluster: async () => Promise.reject(new Error('ECONNREFUSED')),
      dynamicConfig: async () => Promise.reject(new Error('ECONNREFUSED')),
    },
  };
  return { for: (target: FleetMember) => clients[target.name] } as unknown as FleetRestClients;
}

describe('the frozen-view check after a rollback', () => {
  it('tells a member that answers from an old view (frozen) from one that does not answer (unreachable)', async () => {
    const found = await membersWithFrozenView(
      [member('beta-1', 'leader'), member('beta-2', 'replica'), member('beta-3', 'replica')],
      fleet(),
      300,
    );
    assert.deepEqual(
      found.frozen.map((m) => m.name),
      ['beta-2'],
    );
    assert.deepEqual(
      found.unreachable.map((m) => m.name),
      ['beta-3'],
    );
  });
});
