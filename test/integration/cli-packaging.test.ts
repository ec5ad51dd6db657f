import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureBuiltCli } from '../support/built-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface PackedFile {
  path: string;
}

/**
 * The package as npm builds it from the repository: what it holds, and that
 * `npm install -g` and `npx` give a working `pgfleet` and an importable library.
 */
describe('pgfleet as an npm package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    engines: { node: string };
    bin: { pgfleet: string };
    scripts: Record<string, string>;
  };

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-pack-'));
    // dist/ is already built (setup, ensureBuiltCli): packing need not run prepack again.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
    });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: PackedFile[] }>;
    tarball = join(dir, packed!.filename);
    files = packed!.files.map((file) => file.path);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('contains only what runs: the built JavaScript, its type declarations, the template and setup', () => {
    assert.ok(files.includes('dist/cli/main.js'), 'the bin entry point');
    assert.ok(
      files.includes('dist/index.js') && files.includes('dist/index.d.ts'),
      'the library entry point and its types',
    );
    assert.ok(files.includes('templates/patroni.yaml'), 'the built-in Patroni template');
    const unexpected = files.filter(
      (file) =>
        /^(src|test|bench)\//.test(file) ||
        file.endsWith('.map') ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')) ||
        file.includes('tsbuildinfo') ||
        file.includes('.build-stamp'),
    );
    assert.deepEqual(unexpected, []);
  });

  // A real install from git (npx github:..., a git dependency) clones, installs the devDependencies, runs
  // prepare, packs: measured at 24 s to 58 s here, too slow and too load-dependent for this suite; checked by hand
  // (npx git+file://, npm install git+file://). npm install -g from a git URL loses the package whenever it has a
  // prepare script (npm/cli#3692, #8440): install globally from the packed tarball (below).
  it('builds dist/ in a git install: prepare (run by npm for git installs and npx github:...) and prepack run the one build script', () => {
    assert.equal(manifest.scripts.prepare, 'bash scripts/build.sh');
    assert.equal(
      manifest.scripts.prepack,
      'bash scripts/build.sh',
      'npm pack runs prepack and prepare: the second finds the build fresh',
    );
    const build = readFileSync(join(ROOT, 'scripts', 'build.sh'), 'utf8');
    assert.match(
      build,
      /^node_modules\/\.bin\/tsc -p tsconfig\.build\.json\b/m,
      "compiles with the project's own TypeScript and the build config",
    );
    assert.match(
      build,
      new RegExp(`^chmod \\+x ${manifest.bin.pgfleet.replaceAll('.', '\\.')}$`, 'm'),
      'makes the bin executable',
    );
  });

  it('does not compile again when the build is fresh (npm ci runs prepare, then setup.sh finds nothing to do)', async () => {
    const stamp = join(ROOT, 'dist', '.build-stamp');
    const before = statSync(stamp).mtimeMs;
    const { stderr } = await run('bash', [join(ROOT, 'scripts', 'build.sh')], { cwd: ROOT });
    assert.equal(stderr, '');
    assert.equal(statSync(stamp).mtimeMs, before);
  });

  it('declares the Node versions it runs on', () => {
    assert.match(manifest.engines.node, /^>=20\./);
  });

  it('installs with npm install -g and runs as pgfleet, and its library imports', async () => {
    const prefix = join(dir, 'prefix');
    await run(
      'npm',
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      { cwd: dir },
    );
    const version = await run(join(prefix, 'bin', 'pgfleet'), ['--version']);
    assert.equal(version.stdout.trim(), manifest.version);
    const help = await run(join(prefix, 'bin', 'pgfleet'), ['--help']);
    assert.match(help.stdout, /Usage: pgfleet/);
    const library = join(prefix, 'lib', 'node_modules', 'pgfleet', 'dist', 'index.js');
    const probe = `const m = await import(${JSON.stringify(library)}); console.log(typeof m.buildPatroniConfig, typeof m.EtcdClient, typeof m.Secret);`;
    const imported = await run(process.execPath, ['--input-type=module', '-e', probe]);
    assert.equal(imported.stdout.trim(), 'function function function');
  });

  it('runs with npx from the package', async () => {
    const { stdout } = await run(
      'npx',
      ['--yes', '--prefer-offline', '--package', tarball, '--', 'pgfleet', '--version'],
      { cwd: dir, env: { ...process.env, npm_config_cache: join(dir, 'npm-cache') } },
    );
    assert.equal(stdout.trim(), manifest.version);
  });
});
