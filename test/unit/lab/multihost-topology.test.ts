import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { labEtcdEndpoints } from '../../../src/core/lab/lab-topology.js';
import {
  cutPeers,
  healCuts,
  partitionCuts,
  planLabNetwork,
  planMultiHostTopology,
  processesOnHost,
} from '../../../src/core/lab/multihost-topology.js';
import { etcdMemberArgs } from '../../../src/lab/etcd-cluster.js';
import { labSiteSettings } from '../../../src/lab/lab-settings.js';

const topology = planMultiHostTopology({ hosts: 3, clusters: 2, nodes: 2, etcdMembers: 3, basePort: 15000 });
const hosts = topology.hosts!;

describe('multi-host lab topology', () => {
  it('gives a coordinator and N member hosts one address each in 10.203.0.0/24', () => {
    assert.deepEqual(
      hosts.map((host) => [host.name, host.address, host.role]),
      [
        ['coordinator', '10.203.0.10', 'coordinator'],
        ['h1', '10.203.0.11', 'member'],
        ['h2', '10.203.0.12', 'member'],
        ['h3', '10.203.0.13', 'member'],
      ],
    );
  });

  it('puts node i of every cluster on host hi, so no cluster has two members on one host, and etcd member i on host hi', () => {
    assert.deepEqual(
      topology.clusters.map((cluster) => cluster.nodes.map((node) => `${node.name}@${node.host}/${node.address}`)),
      [
        ['alpha-1@h1/10.203.0.11', 'alpha-2@h2/10.203.0.12'],
        ['beta-1@h1/10.203.0.11', 'beta-2@h2/10.203.0.12'],
      ],
    );
    assert.deepEqual(
      topology.etcd.map((member) => `${member.name}@${member.host}`),
      ['etcd1@h1', 'etcd2@h2', 'etcd3@h3'],
    );
    assert.deepEqual(processesOnHost(topology, 'coordinator'), { nodes: [], etcd: [] });
    assert.deepEqual(
      processesOnHost(topology, 'h3').etcd.map((member) => member.name),
      ['etcd3'],
    );
  });

  it('refuses more nodes, or etcd members, than hosts, and fewer than 2 hosts', () => {
    const refused = (input: Partial<Parameters<typeof planMultiHostTopology>[0]>) =>
      assert.throws(
        () => planMultiHostTopology({ hosts: 2, clusters: 1, nodes: 2, etcdMembers: 1, basePort: 15000, ...input }),
        (error: unknown) => error instanceof PgfleetError && error.code === 'LAB_BAD_INPUT',
      );
    refused({ nodes: 3 });
    refused({ etcdMembers: 3 });
    refused({ hosts: 1, nodes: 1 });
  });

  it("points etcd clients and peers at each member's own address", () => {
    assert.deepEqual(labEtcdEndpoints(topology), [
      'http://10.203.0.11:15000',
      'http://10.203.0.12:15003',
      'http://10.203.0.13:15006',
    ]);
    const args = etcdMemberArgs(
      { members: topology.etcd, host: topology.host, dir: '/lab', clusterToken: 't' },
      topology.etcd[1]!,
    );
    assert.equal(args[args.indexOf('--listen-client-urls') + 1], 'http://10.203.0.12:15003');
    assert.equal(
      args[args.indexOf('--initial-cluster') + 1],
      'etcd1=http://10.203.0.11:15002,etcd2=http://10.203.0.12:15005,etcd3=http://10.203.0.13:15008',
    );
    assert.deepEqual(labSiteSettings('/lab/hosts/h1', topology).settings.patroni!.etcd.hosts, [
      '10.203.0.11:15000',
      '10.203.0.12:15003',
      '10.203.0.13:15006',
    ]);
  });

  it("names every namespace after the lab's id, the bridge in one of its own, interface names within 15 characters", () => {
    const network = planLabNetwork('0a1b2c3d', hosts);
    assert.equal(network.bridgeNamespace, 'pgfleet-0a1b2c3d-switch');
    assert.ok(
      [network.bridgeNamespace, ...network.hosts.map((host) => host.namespace)].every((name) =>
        name.startsWith(network.namespacePrefix),
      ),
    );
    assert.ok(network.hosts.every((host) => host.bridgePort.length <= 15));
  });
});

describe('lab partitions', () => {
  it('cuts a host from every other host, or only from the hosts given, both ways', () => {
    const whole = partitionCuts([], hosts, 'h3');
    assert.deepEqual(cutPeers(whole, 'h3'), ['coordinator', 'h1', 'h2']);
    assert.deepEqual(cutPeers(whole, 'h1'), ['h3']);
    const some = partitionCuts([], hosts, 'h2', ['coordinator']);
    assert.deepEqual(some, [['coordinator', 'h2']]);
    assert.deepEqual(cutPeers(some, 'h1'), []);
  });

  it('keeps earlier cuts, counts a cut once, and heals only the links of the host healed', () => {
    const cuts = partitionCuts(partitionCuts([], hosts, 'h2', ['coordinator']), hosts, 'h3', ['h1', 'coordinator']);
    const again = partitionCuts(cuts, hosts, 'coordinator', ['h2']);
    assert.deepEqual(again, cuts);
    assert.deepEqual(healCuts(cuts, 'h3'), [['coordinator', 'h2']]);
  });

  it('refuses a host the lab does not have, and a host cut from itself', () => {
    assert.throws(() => partitionCuts([], hosts, 'h9'), /no host h9/);
    assert.throws(() => partitionCuts([], hosts, 'h1', ['h7']), /no host h7/);
    assert.throws(() => partitionCuts([], hosts, 'h1', ['h1']), /from itself/);
  });
});
