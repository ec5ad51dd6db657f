import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  labEtcdClientSchemes,
  labNodeScheme,
  labSettingsScheme,
  parseLabEtcdTls,
} from '../../../src/core/lab/lab-etcd-tls.js';
import { labEtcdEndpoints, planLabTopology } from '../../../src/core/lab/lab-topology.js';
import { etcdMemberArgs, type EtcdClusterSpec } from '../../../src/lab/etcd-cluster.js';
import { labSiteSettings } from '../../../src/lab/lab-settings.js';

const topology = planLabTopology({ clusters: 1, nodes: 2, etcdMembers: 3, basePort: 41000 });
const spec = (clientSchemes: Array<'http' | 'https'>, tls = true): EtcdClusterSpec => ({
  members: topology.etcd,
  host: topology.host,
  dir: '/lab/etcd',
  clusterToken: 'pgfleet-lab-t',
  clientSchemes,
  ...(tls
    ? {
        tls: {
          caFile: '/lab/pki/ca.crt',
          memberCertificate: (name: string) => ({
            certFile: `/lab/pki/peer/${name}.crt`,
            keyFile: `/lab/pki/peer/${name}.key`,
          }),
          client: {},
        },
      }
    : {}),
});
const valueOf = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('lab etcd TLS modes', () => {
  it('reads --etcd-tls: alone is https, dual serves both, anything else is refused', () => {
    assert.equal(parseLabEtcdTls(undefined), 'off');
    assert.equal(parseLabEtcdTls(true), 'https');
    assert.equal(parseLabEtcdTls('dual'), 'dual');
    assert.throws(() => parseLabEtcdTls('tls'), /--etcd-tls must be one of off, https, dual/);
  });

  it('in dual mode, etcd listens on both, the settings name the https target and the nodes start on http', () => {
    assert.deepEqual(labEtcdClientSchemes('dual'), ['http', 'https']);
    assert.equal(labSettingsScheme('dual'), 'https');
    assert.equal(labNodeScheme('dual'), 'http');
    assert.equal(labNodeScheme('https'), 'https');
    assert.equal(labSettingsScheme('off'), 'http');
  });

  it('an https member requires client certificates and talks TLS to its peers', () => {
    const args = etcdMemberArgs(spec(['https']), topology.etcd[0]!);
    assert.equal(valueOf(args, '--listen-client-urls'), `https://127.0.0.1:${topology.etcd[0]!.clientTlsPort}`);
    assert.ok(args.includes('--client-cert-auth'));
    assert.ok(args.includes('--peer-client-cert-auth'));
    assert.equal(valueOf(args, '--trusted-ca-file'), '/lab/pki/ca.crt');
    assert.equal(valueOf(args, '--cert-file'), '/lab/pki/peer/etcd1.crt');
    assert.match(valueOf(args, '--initial-cluster')!, /^etcd1=https:\/\/127\.0\.0\.1:\d+,etcd2=https:/);
  });

  it('a dual member serves http on clientPort and https on clientTlsPort', () => {
    const member = topology.etcd[1]!;
    const args = etcdMemberArgs(spec(['http', 'https']), member);
    assert.equal(
      valueOf(args, '--listen-client-urls'),
      `http://127.0.0.1:${member.clientPort},https://127.0.0.1:${member.clientTlsPort}`,
    );
  });

  it('a plain lab keeps plain http everywhere and no certificate flags', () => {
    const args = etcdMemberArgs(spec(['http'], false), topology.etcd[0]!);
    assert.ok(!args.includes('--client-cert-auth'));
    assert.match(valueOf(args, '--initial-cluster')!, /^etcd1=http:\/\//);
    assert.throws(() => etcdMemberArgs(spec(['https'], false), topology.etcd[0]!), /needs certificates/);
  });

  it('https lab settings give every node and pgfleet the https endpoints with cacert, cert and key', () => {
    const etcd = labSiteSettings('/lab', topology, 'https').settings.patroni!.etcd;
    assert.equal(etcd.protocol, 'https');
    assert.deepEqual(
      etcd.hosts,
      labEtcdEndpoints(topology, 'https').map((url) => url.slice('https://'.length)),
    );
    assert.deepEqual(
      [etcd.cacert, etcd.cert, etcd.key],
      ['/lab/etcd-tls/ca.crt', '/lab/etcd-tls/etcd-client.crt', '/lab/etcd-tls/etcd-client.key'],
    );
    const plain = labSiteSettings('/lab', topology).settings.patroni!.etcd;
    assert.equal(plain.protocol, 'http');
    assert.equal(plain.cacert, undefined);
  });
});
