/**
 * pgfleet's layers, checked in the test command (test/unit/architecture.test.ts):
 * cli → features → fleet/node → adapters → core. A feature reaches another
 * feature only through that feature's index.ts; the two migrations never meet.
 */
const FEATURES =
  '(instance|tenancy|restapi|audit|lab|cluster|doctor|migration/etcd-auth|migration/etcd-tls|migration/etcd-v3|migration/rotation|pki)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'zero import cycles, dynamic import() included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      comment:
        'core/ is pure logic: it imports only core/, packages, and the pure builtins path, url and util (no I/O module)',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^(path|url|util)$', 'node_modules'] },
    },
    {
      name: 'core-no-io-packages',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: 'node_modules/(undici|pg)/' },
    },
    {
      name: 'adapters-import-down',
      comment: 'adapters/ import only core/ and adapters/',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/', pathNot: '^src/(core|adapters)/' },
    },
    {
      name: 'fleet-imports-down',
      comment: 'fleet/ (the live fleet) imports node/, adapters/, core/',
      severity: 'error',
      from: { path: '^src/fleet/' },
      to: { path: '^src/', pathNot: '^src/(core|adapters|node|fleet)/' },
    },
    {
      name: 'node-imports-down',
      comment: "node/ (this host's Patroni) imports adapters/, core/",
      severity: 'error',
      from: { path: '^src/node/' },
      to: { path: '^src/', pathNot: '^src/(core|adapters|node)/' },
    },
    {
      name: 'features-only-through-index',
      comment: 'a feature imports another feature only through its index.ts, never its internals',
      severity: 'error',
      from: { path: `^src/${FEATURES}/` },
      to: { path: `^src/${FEATURES}/(?!index\\.ts$)`, pathNot: '^src/$1/' },
    },
    {
      name: 'migrations-do-not-meet',
      comment: 'etcd-auth and etcd-tls never import each other',
      severity: 'error',
      from: { path: '^src/migration/etcd-auth/' },
      to: { path: '^src/migration/etcd-tls/' },
    },
    {
      name: 'migrations-do-not-meet-back',
      severity: 'error',
      from: { path: '^src/migration/etcd-tls/' },
      to: { path: '^src/migration/etcd-auth/' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'the CLI is the top: the library never imports it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
