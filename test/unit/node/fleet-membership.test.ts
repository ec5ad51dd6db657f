import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveredMember } from '../../../src/adapters/patroni/local-member-discovery.js';
import { notThisFleet } from '../../../src/node/this-host-members.js';

const fleet = { etcdHosts: ['127.0.0.1:23000'], namespaces: ['/service/'] };
const configDirs = new Set(['/srv/pgfleet/patroni']);

function found(overrides: Partial<DiscoveredMember>): DiscoveredMember {
  return {
    configFile: '/tmp/other-lab/patroni/alpha-1.yaml',
    realConfigFile: '/tmp/other-lab/patroni/alpha-1.yaml',
    alsoFoundAs: [],
    running: true,
    scope: 'alpha',
    name: 'alpha-1',
    namespace: '/service/',
    dcsSection: 'etcd',
    dcsCredentials: undefined,
    dcsHosts: ['127.0.0.1:23000'],
    restapi: undefined,
    logFile: undefined,
    ...overrides,
  };
}

describe("which members found on this host are this fleet's", () => {
  it("a member of this fleet's etcd and namespace is ours", () => {
    assert.equal(notThisFleet(found({}), configDirs, fleet), undefined);
  });

  it('a member of the same name on another etcd (another lab beside this one) is not ours, and says whose etcd it uses', () => {
    assert.match(
      notThisFleet(found({ dcsHosts: ['127.0.0.1:24000'] }), configDirs, fleet) ?? '',
      /its etcd \(127\.0\.0\.1:24000\) is not this site's \(127\.0\.0\.1:23000\)/,
    );
  });

  it('a member of another namespace on the same etcd is not ours', () => {
    assert.match(notThisFleet(found({ namespace: '/postgresql-common/' }), configDirs, fleet) ?? '', /namespace/);
  });

  it("a file in pgfleet's configdir is ours whatever its DCS", () => {
    const inConfigDir = found({ configFile: '/srv/pgfleet/patroni/alpha-1.yaml', dcsHosts: ['127.0.0.1:24000'] });
    assert.equal(notThisFleet(inConfigDir, configDirs, fleet), undefined);
  });

  it('without settings naming the fleet, every member found is taken', () => {
    assert.equal(notThisFleet(found({ dcsHosts: ['127.0.0.1:24000'] }), configDirs, undefined), undefined);
  });
});
