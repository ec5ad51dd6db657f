import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PgfleetError } from '../../../src/core/errors.js';
import { parseSiteSettings } from '../../../src/core/settings/settings-document.js';
import { checkSettingsRules } from '../../../src/core/settings/settings-rules.js';
import { SiteSettingsSchema } from '../../../src/core/settings/site-settings.js';

const BAD = fileURLToPath(new URL('../../fixtures/settings/bad/', import.meta.url));
const devices = (...existing: string[]) => ({ fileExists: (path: string) => existing.includes(path) });

function ruleError(fixture: string, context = devices()): PgfleetError {
  const file = `${BAD}${fixture}.yaml`;
  try {
    parseSiteSettings(readFileSync(file, 'utf8'), file, context);
  } catch (error) {
    assert.ok(error instanceof PgfleetError);
    return error;
  }
  assert.fail('expected an error');
}

describe('settings cross-field rules', () => {
  const cases: { fixture: string; code: string; line: number; message: RegExp }[] = [
    {
      fixture: 'etcd-cacert-without-https',
      code: 'SETTINGS_ETCD_TLS_NEEDS_HTTPS',
      line: 4,
      message: /patroni\.etcd\.cacert is set but patroni\.etcd\.protocol is http/,
    },
    {
      fixture: 'etcd-cert-without-key',
      code: 'SETTINGS_CERT_WITHOUT_KEY',
      line: 4,
      message: /patroni\.etcd\.cert is set without patroni\.etcd\.key/,
    },
    {
      fixture: 'etcd-key-without-cert',
      code: 'SETTINGS_KEY_WITHOUT_CERT',
      line: 4,
      message: /patroni\.etcd\.key is set without patroni\.etcd\.cert/,
    },
    {
      fixture: 'verify-client-without-certfile',
      code: 'SETTINGS_VERIFY_CLIENT_NEEDS_CERTFILE',
      line: 3,
      message: /verify_client is optional but patroni\.restapi\.certfile is not set/,
    },
    {
      fixture: 'verify-client-required-without-ctl',
      code: 'SETTINGS_VERIFY_CLIENT_REQUIRED_NEEDS_CTL_CERT',
      line: 5,
      message: /verify_client is required but patroni\.ctl has no certfile/,
    },
    {
      fixture: 'watchdog-device-missing',
      code: 'SETTINGS_WATCHDOG_DEVICE_MISSING',
      line: 4,
      message: /watchdog device \/dev\/no-such-watchdog does not exist/,
    },
  ];
  for (const { fixture, code, line, message } of cases) {
    it(`reports ${code} with file and line (${fixture})`, () => {
      const error = ruleError(fixture);
      assert.equal(error.code, code);
      assert.match(error.message, new RegExp(`${fixture}\\.yaml:${line}:\\d+: `));
      assert.match(error.message, message);
      assert.ok(error.hint && error.hint.length > 0);
    });
  }

  it('accepts a required watchdog whose device exists', () => {
    const file = `${BAD}watchdog-device-missing.yaml`;
    const settings = parseSiteSettings(readFileSync(file, 'utf8'), file, devices('/dev/no-such-watchdog'));
    assert.equal(settings.patroni?.watchdog.mode, 'required');
  });

  it("checks Patroni's default device /dev/watchdog when mode is required without a device", () => {
    const settings = SiteSettingsSchema.parse({ patroni: { watchdog: { mode: 'required' } } });
    assert.deepEqual(
      checkSettingsRules(settings, devices()).map((violation) => violation.path.join('.')),
      ['patroni.watchdog.mode'],
    );
    assert.deepEqual(checkSettingsRules(settings, devices('/dev/watchdog')), []);
  });

  it('accepts complete TLS settings: etcd over https with cert and key, REST API with required client certificates and ctl certificates', () => {
    const settings = SiteSettingsSchema.parse({
      patroni: {
        etcd: { protocol: 'https', cacert: '/t/ca', cert: '/t/c', key: '/t/k' },
        restapi: { certfile: '/t/a', keyfile: '/t/ak', cafile: '/t/ca', verify_client: 'required' },
        ctl: { certfile: '/t/cc', keyfile: '/t/ck' },
      },
    });
    assert.deepEqual(checkSettingsRules(settings, devices()), []);
  });

  it('reports several broken rules together', () => {
    const settings = SiteSettingsSchema.parse({
      patroni: { etcd: { cacert: '/t/ca', key: '/t/k' }, restapi: { verify_client: 'required' } },
    });
    assert.deepEqual(
      checkSettingsRules(settings, devices()).map((violation) => violation.code),
      [
        'SETTINGS_ETCD_TLS_NEEDS_HTTPS',
        'SETTINGS_KEY_WITHOUT_CERT',
        'SETTINGS_VERIFY_CLIENT_NEEDS_CERTFILE',
        'SETTINGS_VERIFY_CLIENT_REQUIRED_NEEDS_CTL_CERT',
      ],
    );
  });

  it('has nothing to check without a patroni section', () => {
    assert.deepEqual(checkSettingsRules(SiteSettingsSchema.parse({}), devices()), []);
  });
});
