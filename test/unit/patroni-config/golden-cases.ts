import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSiteSettings } from '../../../src/core/settings/settings-document.js';
import { resolveSitePaths } from '../../../src/core/settings/site-paths.js';
import { buildPatroniConfig } from '../../../src/core/patroni-config/build-config.js';
import {
  instanceSpecFromOptions,
  type PatroniInstanceOptions,
} from '../../../src/core/patroni-config/instance-options.js';
import type { ParameterValue } from '../../../src/core/patroni-config/instance-spec.js';
import { patroniFeatures } from '../../../src/core/patroni-config/patroni-features.js';
import { parsePatroniTemplate } from '../../../src/core/patroni-config/patroni-template.js';
import { renderPatroniYaml } from '../../../src/core/patroni-config/render-yaml.js';
import { Secret } from '../../../src/core/secret.js';

/**
 * The examples of the Patroni chapter of the spec (seed 001), each a
 * settings file under test/fixtures/settings/examples/<name>/ with the
 * exact Patroni YAML pgfleet must generate next to it (patroni.yaml).
 * Regenerate after an intended change: PGFLEET_UPDATE_GOLDEN=1.
 */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../fixtures/settings/examples/', import.meta.url));
export const BUILTIN_TEMPLATE = fileURLToPath(new URL('../../../templates/patroni.yaml', import.meta.url));

/** Passwords chosen to break naive YAML writers; no test output may contain them. */
export const TEST_PASSWORDS = {
  superuser: `su'per "pw" #1: yes`,
  replication: 'repl=ication *ref -x',
  rewind: 'rewind: #b\nsecond line of rewind',
  etcd: `0123-etcd 'pw" on`,
  restapi: '-rest api: pw ~ null',
} as const;

export interface GoldenCase {
  name: string;
  options: PatroniInstanceOptions;
  parameters?: Record<string, ParameterValue>;
}

const BASE: PatroniInstanceOptions = {
  name: 'main',
  patroniCluster: 'alpha',
  patroniNode: 'alpha-1',
  port: 5432,
  patroniPostgresqlConnectHost: '198.51.100.10',
  // 0.0.0.0: the validator connects to a listen address to see whether it is taken; an unroutable one would hang it.
  patroniRestapiListen: '0.0.0.0:8008',
  patroniRestapiConnectAddress: '198.51.100.10:8008',
};

const SAMPLE_PARAMETERS: Record<string, ParameterValue> = {
  max_connections: 200,
  shared_buffers: '256MB',
  log_line_prefix: '%m [%p] %q%u@%d ',
  jit: 'off',
};

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'open-etcd-localhost', options: BASE, parameters: SAMPLE_PARAMETERS },
  { name: 'two-etcd-hosts', options: BASE },
  { name: 'etcd-https', options: BASE },
  {
    name: 'etcd-user-password',
    options: { ...BASE, patroniEtcdUsername: 'patroni-alpha', patroniEtcdPasswordFile: '/unused/etcd.password' },
  },
  {
    name: 'restapi-tls-basic-auth',
    options: {
      ...BASE,
      patroniRestapiAuthenticationUsername: 'patroni-api',
      patroniRestapiAuthenticationPasswordFile: '/unused/restapi.password',
    },
  },
  { name: 'watchdog-required', options: BASE },
  { name: 'use-pg-rewind', options: BASE },
  { name: 'dynamic-mode', options: BASE, parameters: SAMPLE_PARAMETERS },
];

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR).sort();
}

/** The YAML (secrets revealed, as written to disk) pgfleet generates for a case. */
export function renderGoldenCase(golden: GoldenCase, patroniVersion = '3.0.2'): string {
  const file = `${EXAMPLES_DIR}${golden.name}/settings.yaml`;
  // The watchdog example names /dev/watchdog, which a test machine may lack: the device check has its own test.
  const settings = parseSiteSettings(readFileSync(file, 'utf8'), file, { fileExists: () => true });
  const paths = resolveSitePaths(settings, { isRoot: true, home: '/root', env: {} });
  const spec = instanceSpecFromOptions(golden.options, {
    settings,
    paths,
    hostname: 'db1.example.com',
    secrets: {
      superuser: new Secret(TEST_PASSWORDS.superuser),
      replication: new Secret(TEST_PASSWORDS.replication),
      rewind: new Secret(TEST_PASSWORDS.rewind),
      etcdPassword: new Secret(TEST_PASSWORDS.etcd),
      restapiPassword: new Secret(TEST_PASSWORDS.restapi),
    },
  });
  if (golden.parameters) spec.postgresql.parameters = golden.parameters;
  const template = parsePatroniTemplate(readFileSync(BUILTIN_TEMPLATE, 'utf8'), BUILTIN_TEMPLATE);
  const config = buildPatroniConfig({
    settings: settings.patroni!,
    instance: spec,
    template,
    features: patroniFeatures(patroniVersion),
  });
  return renderPatroniYaml(config, { revealSecrets: true });
}

/** Text with every test password replaced: what a failing assertion may print. */
export function withoutTestPasswords(text: string): string {
  let result = text;
  for (const password of Object.values(TEST_PASSWORDS)) {
    result = result.split(password).join('<test password>');
    // As the YAML file escapes it.
    result = result.split(JSON.stringify(password).slice(1, -1)).join('<test password>');
  }
  return result;
}
