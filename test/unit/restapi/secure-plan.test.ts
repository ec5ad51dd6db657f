import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import type { RoleCredentials } from '../../../src/core/patroni-config/instance-spec.js';
import { patroniFeatures } from '../../../src/core/patroni-config/patroni-features.js';
import { hostOfAddress, secureCertificateUses } from '../../../src/core/restapi/secure-certificates.js';
import {
  type SecureMemberInput,
  type SecureTarget,
  planRestApiSecuring,
} from '../../../src/core/restapi/secure-plan.js';
import { renderSecurePlan, securePlanData } from '../../../src/core/restapi/secure-plan-report.js';
import { Secret } from '../../../src/core/secret.js';
import { PatroniSettingsSchema } from '../../../src/core/settings/site-settings.js';

const TLS = { cafile: '/tls/ca.crt', certfile: '/tls/restapi.crt', keyfile: '/tls/restapi.key' };
const CTL = { cacert: '/tls/ca.crt', certfile: '/tls/patroni.crt', keyfile: '/tls/patroni.key' };
const PASSWORD = 'plan-test-password-7';

function member(
  scope: string,
  node: string,
  role: 'leader' | 'replica',
  restapi: Record<string, unknown> = {},
  ctl?: Record<string, unknown>,
): SecureMemberInput {
  const port = 8000 + Number(node.split('-')[1]) + (scope === 'beta' ? 10 : 0);
  return {
    instance: node,
    configFile: `/etc/patroni/${node}.yaml`,
    scope,
    node,
    role,
    config: {
      scope,
      name: node,
      restapi: { listen: `127.0.0.1:${port}`, connect_address: `127.0.0.1:${port}`, ...restapi },
      ...(ctl ? { ctl } : {}),
      postgresql: { data_dir: '/x' },
    },
  };
}

function target(settings: Record<string, unknown>, options: { auth?: boolean; version?: string } = {}): SecureTarget {
  const authentication = options.auth
    ? new Map<string, RoleCredentials>(
        ['alpha', 'beta'].map((scope) => [scope, { username: 'patroni', password: new Secret(PASSWORD) }]),
      )
    : undefined;
  return {
    settings: PatroniSettingsSchema.parse(settings),
    authentication,
    features: patroniFeatures(options.version ?? '3.0.2'),
  };
}

const openFleet = () => [
  member('beta', 'beta-1', 'leader'),
  member('alpha', 'alpha-1', 'leader'),
  member('alpha', 'alpha-2', 'replica'),
  member('beta', 'beta-2', 'replica'),
];
const fullTarget = (verify = 'optional') =>
  target({ restapi: { ...TLS, verify_client: verify }, ctl: CTL }, { auth: true });

function planError(run: () => unknown): PgfleetError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PgfleetError, String(error));
    return error;
  }
  assert.fail('expected the plan to be refused');
}

describe('restapi secure plan', () => {
  it('takes an open fleet to TLS + verify_client optional + basic auth in 16 steps: clients, then TLS, verify_client, basic auth', () => {
    const plan = planRestApiSecuring(openFleet(), fullTarget());
    assert.deepEqual(
      plan.steps.map((step) => `${step.number} ${step.phase} ${step.node}`),
      [
        '1 client alpha-2',
        '2 client alpha-1',
        '3 client beta-2',
        '4 client beta-1',
        '5 server-tls alpha-2',
        '6 server-tls alpha-1',
        '7 server-tls beta-2',
        '8 server-tls beta-1',
        '9 verify-client alpha-2',
        '10 verify-client alpha-1',
        '11 verify-client beta-2',
        '12 verify-client beta-1',
        '13 basic-auth alpha-2',
        '14 basic-auth alpha-1',
        '15 basic-auth beta-2',
        '16 basic-auth beta-1',
      ],
      'phase after phase; in each, cluster by cluster, replicas before the leader',
    );
    assert.deepEqual(plan.warnings, []);
  });

  it('changes only its own keys at each step, and switches to https with verify_client none first', () => {
    const steps = planRestApiSecuring([member('alpha', 'alpha-1', 'leader')], fullTarget()).steps;
    assert.deepEqual(
      steps.map((step) => [step.phase, step.changes]),
      [
        ['client', ['ctl.cacert', 'ctl.certfile', 'ctl.keyfile']],
        ['server-tls', ['restapi.cafile', 'restapi.certfile', 'restapi.keyfile', 'restapi.verify_client']],
        ['verify-client', ['restapi.verify_client']],
        ['basic-auth', ['restapi.authentication']],
      ],
    );
    const [client, serverTls, verify, auth] = steps;
    assert.deepEqual(
      client!.restapi,
      { listen: '127.0.0.1:8001', connect_address: '127.0.0.1:8001' },
      'the server side is untouched by the client step',
    );
    assert.deepEqual(client!.ctl, CTL);
    assert.equal(serverTls!.restapi.verify_client, 'none');
    assert.deepEqual([serverTls!.before.tls, serverTls!.after.tls], [false, true]);
    assert.equal(verify!.restapi.verify_client, 'optional');
    const authentication = auth!.restapi.authentication as { username: string; password: Secret };
    assert.equal(authentication.username, 'patroni');
    assert.equal(authentication.password.reveal(), PASSWORD);
    assert.deepEqual(auth!.after, { tls: true, verifyClient: 'optional', basicAuth: true });
  });

  it('has nothing to do for a fleet already at the target, and plans only what is missing for one half-way', () => {
    const done = { ...TLS, verify_client: 'optional', authentication: { username: 'patroni', password: PASSWORD } };
    assert.deepEqual(planRestApiSecuring([member('alpha', 'alpha-1', 'leader', done, CTL)], fullTarget()).steps, []);
    const halfWay = planRestApiSecuring(
      [
        member('alpha', 'alpha-1', 'leader', { ...TLS, verify_client: 'none' }, CTL),
        member('alpha', 'alpha-2', 'replica', {}, CTL),
      ],
      fullTarget(),
    );
    assert.deepEqual(
      halfWay.steps.map((step) => `${step.phase} ${step.node}`),
      [
        'server-tls alpha-2',
        'verify-client alpha-2',
        'verify-client alpha-1',
        'basic-auth alpha-2',
        'basic-auth alpha-1',
      ],
    );
  });

  it('stops after the phase given with through, and counts the steps it leaves for a later run', () => {
    const plan = planRestApiSecuring(openFleet(), fullTarget(), { through: 'client' });
    assert.deepEqual(
      plan.steps.map((step) => `${step.number} ${step.phase}`),
      ['1 client', '2 client', '3 client', '4 client'],
    );
    assert.equal(plan.deferred, 12);
    assert.match(renderSecurePlan(plan), /12 steps of later phases left/);
    const next = planRestApiSecuring(
      openFleet().map((member) => ({ ...member, config: { ...member.config, ctl: CTL } })),
      fullTarget(),
      { through: 'server-tls' },
    );
    assert.deepEqual([next.steps.length, next.deferred], [4, 8]);
    assert.ok(next.steps.every((step) => step.phase === 'server-tls'));
  });

  it('rotates a basic-auth password with one basic-auth step per member', () => {
    const current = {
      ...TLS,
      verify_client: 'optional',
      authentication: { username: 'patroni', password: 'old-password' },
    };
    const plan = planRestApiSecuring([member('alpha', 'alpha-1', 'leader', current, CTL)], fullTarget());
    assert.deepEqual(
      plan.steps.map((step) => [step.phase, step.changes]),
      [['basic-auth', ['restapi.authentication']]],
    );
  });

  it('allows basic auth without TLS, with a warning', () => {
    const plan = planRestApiSecuring(openFleet(), target({}, { auth: true }));
    assert.ok(plan.steps.every((step) => step.phase === 'basic-auth'));
    assert.equal(plan.steps.length, 4);
    assert.deepEqual(
      plan.warnings.map((warning) => warning.code),
      ['REST_SECURE_BASIC_AUTH_WITHOUT_TLS'],
    );
    assert.match(plan.warnings[0]!.message, /clear text/);
  });

  it('warns when unsafe endpoints stay open to anyone', () => {
    const plan = planRestApiSecuring(openFleet(), target({ restapi: { ...TLS }, ctl: CTL }));
    assert.deepEqual(
      plan.warnings.map((warning) => warning.code),
      ['REST_SECURE_UNSAFE_ENDPOINTS_OPEN'],
    );
  });

  it("keeps what it does not manage: other restapi keys, and a member's own basic auth when the target has none", () => {
    const own = { allowlist: ['10.0.0.0/8'], authentication: { username: 'own', password: 'own-pw' } };
    const [step] = planRestApiSecuring(
      [member('alpha', 'alpha-1', 'leader', own)],
      target({ restapi: { ...TLS }, ctl: CTL }),
    ).steps.filter((candidate) => candidate.phase === 'server-tls');
    assert.deepEqual(step!.restapi.allowlist, ['10.0.0.0/8']);
    assert.equal((step!.restapi.authentication as { username: string }).username, 'own');
  });

  it('writes ctl.authentication in the basic-auth step when restapi_credentials is on and Patroni is 3.1 or later', () => {
    const settings = { restapi: { ...TLS, verify_client: 'optional' }, ctl: { ...CTL, restapi_credentials: true } };
    const plan = planRestApiSecuring(
      [member('alpha', 'alpha-1', 'leader')],
      target(settings, { auth: true, version: '3.1.2' }),
    );
    assert.deepEqual(plan.steps.at(-1)!.changes, ['restapi.authentication', 'ctl.authentication']);
    assert.equal(
      planError(() =>
        planRestApiSecuring([member('alpha', 'alpha-1', 'leader')], target(settings, { auth: true, version: '3.0.2' })),
      ).code,
      'PATRONI_VERSION_TOO_OLD',
    );
  });

  it('refuses to weaken a member: removing TLS, lowering verify_client, dropping ctl certificates', () => {
    const secured = member('alpha', 'alpha-1', 'leader', { ...TLS, verify_client: 'required' }, CTL);
    const noTls = planError(() => planRestApiSecuring([secured], target({ ctl: CTL })));
    assert.equal(noTls.code, 'REST_SECURE_WOULD_WEAKEN');
    assert.match(noTls.message, /\/etc\/patroni\/alpha-1\.yaml .*restapi\.certfile/);
    assert.match(
      planError(() => planRestApiSecuring([secured], fullTarget('optional'))).message,
      /verify_client required → optional/,
    );
    const withClientCert = member('alpha', 'alpha-1', 'leader', { ...TLS, verify_client: 'none' }, CTL);
    assert.match(
      planError(() =>
        planRestApiSecuring([withClientCert], target({ restapi: { ...TLS }, ctl: { cacert: CTL.cacert } })),
      ).message,
      /ctl\.certfile, ctl\.keyfile/,
    );
  });

  it('refuses a target that cannot work before touching anything', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ restapi: { verify_client: 'optional' }, ctl: CTL }, 'REST_SECURE_VERIFY_CLIENT_WITHOUT_CERTFILE'],
      [{ restapi: { certfile: TLS.certfile, keyfile: TLS.keyfile } }, 'REST_SECURE_NO_SERVER_CA'],
      [
        { restapi: { certfile: TLS.certfile, keyfile: TLS.keyfile, verify_client: 'optional' }, ctl: CTL },
        'REST_SECURE_NO_CLIENT_CA',
      ],
      [{ restapi: { ...TLS, verify_client: 'optional' }, ctl: { cacert: CTL.cacert } }, 'REST_SECURE_NO_CLIENT_CERT'],
      [{ restapi: { certfile: TLS.certfile }, ctl: CTL }, 'REST_SECURE_CERT_WITHOUT_KEY'],
    ];
    for (const [settings, code] of cases)
      assert.equal(
        planError(() => planRestApiSecuring(openFleet(), target(settings))).code,
        code,
        JSON.stringify(settings),
      );
    assert.equal(planError(() => planRestApiSecuring([], fullTarget())).code, 'REST_SECURE_NO_MEMBERS');
  });

  it('shows no password in its JSON data or its text', () => {
    const plan = planRestApiSecuring(openFleet(), fullTarget());
    const data = JSON.stringify(securePlanData(plan));
    assert.doesNotMatch(data, new RegExp(PASSWORD));
    assert.doesNotMatch(JSON.stringify(plan), new RegExp(PASSWORD), 'even the raw plan: passwords are Secret values');
    const text = renderSecurePlan(plan);
    assert.match(text, /16 steps/);
    assert.match(text, /alpha\/alpha-1 \(leader\): http, no basic auth → https, verify_client optional, basic auth/);
  });
});

describe('certificate files a target uses', () => {
  it('checks the server certificate against the CA clients trust, for every connect host, and the client one against restapi.cafile', () => {
    const settings = PatroniSettingsSchema.parse({
      restapi: { ...TLS, cafile: '/tls/client-ca.crt', verify_client: 'optional' },
      ctl: CTL,
    });
    const uses = secureCertificateUses(settings, ['127.0.0.1', '10.0.0.2', '127.0.0.1']);
    assert.deepEqual(
      uses.map((use) => [use.certFile, use.keyFile, use.caFile, use.hosts, use.usage]),
      [
        ['/tls/restapi.crt', '/tls/restapi.key', '/tls/ca.crt', ['127.0.0.1', '10.0.0.2'], 'serverAuth'],
        ['/tls/patroni.crt', '/tls/patroni.key', '/tls/client-ca.crt', undefined, 'clientAuth'],
      ],
    );
  });

  it('does not check host names when ctl.insecure, nor the client certificate CA when servers do not check it', () => {
    const uses = secureCertificateUses(
      PatroniSettingsSchema.parse({ restapi: { ...TLS }, ctl: { ...CTL, insecure: true } }),
      ['db1'],
    );
    assert.deepEqual(uses[0]!.hosts, []);
    assert.equal(uses[1]!.caFile, undefined);
  });

  it('reads the host of a Patroni address', () => {
    assert.deepEqual(['127.0.0.1:8008', 'db1.example:8008', '[::1]:8008', 'db2'].map(hostOfAddress), [
      '127.0.0.1',
      'db1.example',
      '::1',
      'db2',
    ]);
  });
});
