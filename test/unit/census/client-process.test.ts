import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientConfigPath,
  clientIncludedDirectory,
  describeClientProcess,
} from '../../../src/core/census/client-process/client-process-description.js';
import {
  type EtcdClientProgram,
  type ProcessFacts,
  identifyEtcdClient,
} from '../../../src/core/census/client-process/etcd-client-process.js';

const PASSWORD = 'S3cret-never-shown';

const facts = (
  program: EtcdClientProgram,
  argv: string[],
  options: Partial<Omit<ProcessFacts, 'program' | 'argv'>> & {
    envVars?: Record<string, string>;
    configText?: string;
  } = {},
): ProcessFacts => ({
  pid: options.pid ?? 4242,
  uid: options.uid ?? 0,
  program,
  argv,
  env: new Map(Object.entries(options.envVars ?? {})),
  config:
    options.config ?? (options.configText === undefined ? undefined : { path: '/etc/x.yml', text: options.configText }),
  included: options.included ?? [],
  version: options.version,
});

const noPassword = (value: unknown): void => {
  assert.ok(!JSON.stringify(value).includes(PASSWORD), 'the password is not in the description');
};

describe('known etcd clients among processes', () => {
  it('are recognised by program, Python scripts through their interpreter', () => {
    assert.deepEqual(identifyEtcdClient(['/usr/bin/python3', '/usr/bin/patroni', '/etc/patroni/15-main.yml']), {
      program: 'patroni',
      argv: ['/usr/bin/patroni', '/etc/patroni/15-main.yml'],
    });
    assert.equal(identifyEtcdClient(['/usr/bin/python3', '-u', '/usr/bin/patronictl', 'list'])?.program, 'patronictl');
    assert.equal(identifyEtcdClient(['/usr/bin/vip-manager', '--config=/etc/vip.yml'])?.program, 'vip-manager');
    assert.equal(identifyEtcdClient(['etcdctl', 'watch', '/x/'])?.program, 'etcdctl');
    assert.equal(identifyEtcdClient(['/usr/bin/confd', '-onetime'])?.program, 'confd');
    assert.equal(identifyEtcdClient(['/usr/bin/etcd', '--name', 'e1']), undefined);
    assert.equal(identifyEtcdClient(['/usr/bin/python3', '/opt/other.py']), undefined);
  });
});

describe('a Patroni process', () => {
  const yaml = `scope: 15-main\nnamespace: /postgresql-common/\nname: node1\netcd3:\n  hosts: 127.0.0.1:2379,127.0.0.1:2380\n  username: patroni\n  password: ${PASSWORD}\n`;

  it('names its cluster, member, API, endpoints and whether credentials are set, never the password', () => {
    const described = describeClientProcess(
      facts('patroni', ['/usr/bin/patroni', '/etc/patroni/15-main.yml'], { configText: yaml }),
    );
    assert.equal(described.api, 'v3');
    assert.deepEqual(described.endpoints, ['http://127.0.0.1:2379', 'http://127.0.0.1:2380']);
    assert.deepEqual([described.credentialsSet, described.username], [true, 'patroni']);
    assert.deepEqual(described.patroni, { namespace: '/postgresql-common/', scope: '15-main', name: 'node1' });
    assert.deepEqual(described.keys, [{ key: '/postgresql-common/15-main/', prefix: true, use: 'read-write' }]);
    noPassword(described);
  });

  it("reads its file from the first argument, and its PATRONI_ variables over the file's settings", () => {
    assert.equal(
      clientConfigPath({ program: 'patroni', argv: ['/usr/bin/patroni', 'cfg.yml'], env: new Map() }),
      'cfg.yml',
    );
    const described = describeClientProcess(
      facts('patroni', ['/usr/bin/patroni', 'x.yml'], {
        configText: `scope: a\netcd:\n  host: 10.0.0.1:2379\n`,
        envVars: { PATRONI_NAMESPACE: '/other', PATRONI_ETCD_USERNAME: 'u', PATRONI_ETCD_PASSWORD: PASSWORD },
      }),
    );
    assert.equal(described.api, 'v2');
    assert.deepEqual(described.endpoints, ['http://10.0.0.1:2379']);
    assert.equal(described.patroni?.namespace, '/other/');
    assert.equal(described.credentialsSet, true);
    noPassword(described);
  });

  it('takes the user of a url with credentials in it and reports the url without them', () => {
    const described = describeClientProcess(
      facts('patroni', ['/usr/bin/patroni', 'x.yml'], {
        configText: `scope: a\netcd3:\n  url: https://svc:${PASSWORD}@etcd.example:2379\n`,
      }),
    );
    assert.deepEqual(described.endpoints, ['https://etcd.example:2379']);
    assert.deepEqual([described.credentialsSet, described.username], [true, 'svc']);
    noPassword(described);
  });

  it('says the file could not be read rather than guess', () => {
    const described = describeClientProcess(
      facts('patroni', ['/usr/bin/patroni', '/etc/patroni/x.yml'], {
        config: { path: '/etc/patroni/x.yml', text: undefined },
      }),
    );
    assert.deepEqual([described.configReadable, described.api, described.credentialsSet], [false, 'unknown', false]);
  });
});

describe('a patronictl process', () => {
  it('reads -c, else $PATRONICTL_CONFIG_FILE, else ~/.config/patroni/patronictl.yaml', () => {
    assert.equal(
      clientConfigPath({
        program: 'patronictl',
        argv: ['patronictl', '-c', '/etc/p.yml', 'list'],
        env: new Map([['PATRONICTL_CONFIG_FILE', '/env.yml']]),
      }),
      '/etc/p.yml',
    );
    assert.equal(
      clientConfigPath({
        program: 'patronictl',
        argv: ['patronictl', 'list'],
        env: new Map([['PATRONICTL_CONFIG_FILE', '/env.yml']]),
      }),
      '/env.yml',
    );
    assert.equal(
      clientConfigPath({ program: 'patronictl', argv: ['patronictl', 'list'], env: new Map([['HOME', '/home/ops']]) }),
      '/home/ops/.config/patroni/patronictl.yaml',
    );
  });

  it('names its command and the cluster it was given, and a --dcs-url replaces the etcd sections of its file', () => {
    const described = describeClientProcess(
      facts('patronictl', ['patronictl', '-d', 'etcd3://10.1.1.1:2379', 'switchover', '--leader', 'n1', 'alpha'], {
        configText: `etcd3:\n  hosts: a:1\n  username: u\n  password: ${PASSWORD}\n`,
      }),
    );
    assert.deepEqual([described.command, described.patroni?.scope, described.api], ['switchover', 'alpha', 'v3']);
    assert.deepEqual(described.endpoints, ['http://10.1.1.1:2379']);
    assert.equal(described.credentialsSet, false);
  });
});

describe('a vip-manager process', () => {
  it("reads Debian's unit (flags), its environment file (VIP_ variables) and a --config YAML, flags first", () => {
    const described = describeClientProcess(
      facts(
        'vip-manager',
        [
          '/usr/bin/vip-manager',
          '--ip=10.0.0.5',
          '--trigger-key=/service/alpha/leader',
          '--dcs-endpoints=http://127.0.0.1:2379',
        ],
        {
          envVars: { VIP_KEY: '/service/ignored/leader', VIP_ETCD_USER: 'vip', VIP_ETCD_PASSWORD: PASSWORD },
          version: '1.0.2-6+b2',
        },
      ),
    );
    assert.deepEqual(described.keys, [{ key: '/service/alpha/leader', prefix: false, use: 'read' }]);
    assert.deepEqual(described.endpoints, ['http://127.0.0.1:2379']);
    assert.deepEqual([described.credentialsSet, described.username], [true, 'vip']);
    noPassword(described);
  });

  it('speaks v2 up to 1.x (Debian bookworm: 1.0.2), v3 from 2.0, and unknown without a version', () => {
    const api = (version: string | undefined, extra: string[] = []) =>
      describeClientProcess(facts('vip-manager', ['vip-manager', ...extra], { version })).api;
    assert.equal(api('1.0.2-6+b2'), 'v2');
    assert.equal(api('2.6.0'), 'v3');
    assert.equal(api(undefined), 'unknown');
    assert.equal(api(undefined, ['--dcs-type=consul']), 'other-dcs');
  });

  it('takes the settings of its YAML, pre-1.0 names included, when no flag or variable gives them', () => {
    assert.equal(
      clientConfigPath({
        program: 'vip-manager',
        argv: ['vip-manager', '--config', '/etc/default/vip-manager.yml'],
        env: new Map(),
      }),
      '/etc/default/vip-manager.yml',
    );
    const described = describeClientProcess(
      facts('vip-manager', ['vip-manager', '--config=/etc/vip.yml'], {
        configText: `key: /pg/x/leader\nendpoints:\n  - http://e1:2379\n  - http://e2:2379\netcd_user: v\n`,
      }),
    );
    assert.deepEqual(
      described.keys.map((key) => key.key),
      ['/pg/x/leader'],
    );
    assert.deepEqual(described.endpoints, ['http://e1:2379', 'http://e2:2379']);
    assert.deepEqual([described.credentialsSet, described.username], [false, 'v']);
  });
});

describe('a confd process', () => {
  it('reads its backend, nodes and user from confd.toml, and the keys of its templates under their prefixes', () => {
    const argv = ['/usr/bin/confd', '-watch', '-confdir', '/srv/confd'];
    assert.equal(clientConfigPath({ program: 'confd', argv, env: new Map() }), '/srv/confd/confd.toml');
    assert.equal(clientIncludedDirectory('confd', argv, undefined), '/srv/confd/conf.d');
    const described = describeClientProcess(
      facts('confd', argv, {
        config: {
          path: '/srv/confd/confd.toml',
          text: `backend = "etcdv3"\nnodes = [\n  "http://127.0.0.1:2379",\n]\nusername = "confd"\npassword = "${PASSWORD}"\nprefix = "/service"\n`,
        },
        included: [
          {
            path: '/srv/confd/conf.d/haproxy.toml',
            text: `[template]\nprefix = "alpha"\nsrc = "haproxy.tmpl"\nkeys = [ "/members/", "/leader" ] # what it renders\n`,
          },
        ],
      }),
    );
    assert.equal(described.api, 'v3');
    assert.deepEqual(described.endpoints, ['http://127.0.0.1:2379']);
    assert.deepEqual([described.credentialsSet, described.username], [true, 'confd']);
    assert.deepEqual(described.keys, [
      { key: '/service/alpha/members/', prefix: true, use: 'watch' },
      { key: '/service/alpha/leader', prefix: true, use: 'watch' },
    ]);
    noPassword(described);
  });

  it('is a v2 client with the etcd backend', () => {
    assert.equal(
      describeClientProcess(facts('confd', ['confd', '-backend', 'etcd', '-node', 'http://h:2379'])).api,
      'v2',
    );
  });
});

describe('an etcdctl process', () => {
  it('names the prefix it watches, its endpoints and its user, never the password of --user name:password', () => {
    const described = describeClientProcess(
      facts('etcdctl', [
        'etcdctl',
        `--user=root:${PASSWORD}`,
        '--endpoints',
        'http://127.0.0.1:2379',
        'watch',
        '--prefix',
        '/x/',
      ]),
    );
    assert.deepEqual(described.keys, [{ key: '/x/', prefix: true, use: 'watch' }]);
    assert.deepEqual(
      [described.api, described.command, described.username, described.credentialsSet],
      ['v3', 'watch', 'root', true],
    );
    assert.deepEqual(described.endpoints, ['http://127.0.0.1:2379']);
    noPassword(described);
  });

  it("reports a put's key and not its value, and no key for user or role commands", () => {
    assert.deepEqual(describeClientProcess(facts('etcdctl', ['etcdctl', 'put', '/app/k', PASSWORD])).keys, [
      { key: '/app/k', prefix: false, use: 'write' },
    ]);
    const userAdd = describeClientProcess(
      facts('etcdctl', ['etcdctl', 'user', 'add', 'bob', `--new-user-password=${PASSWORD}`]),
    );
    assert.deepEqual(userAdd.keys, []);
    noPassword(userAdd);
  });

  it('speaks v2 with ETCDCTL_API=2 and takes its endpoints and user from the environment', () => {
    const described = describeClientProcess(
      facts('etcdctl', ['etcdctl', 'ls', '--recursive', '/service'], {
        envVars: {
          ETCDCTL_API: '2',
          ETCDCTL_ENDPOINTS: 'http://a:2379,http://b:2379',
          ETCDCTL_USERNAME: `ops:${PASSWORD}`,
        },
      }),
    );
    assert.deepEqual([described.api, described.username], ['v2', 'ops']);
    assert.deepEqual(described.endpoints, ['http://a:2379', 'http://b:2379']);
    assert.deepEqual(described.keys, [{ key: '/service', prefix: true, use: 'read' }]);
    noPassword(described);
  });
});
