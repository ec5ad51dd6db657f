import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmod,
  chown,
  link,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPgfleetError } from '../../../src/core/errors.js';
import { writeForeignFile } from '../../../src/adapters/fs/foreign-file-write.js';
import { isRoot, lookupOsUser } from '../../../src/adapters/process/os-user.js';

// As root the file is given to postgres (as pg_createconfig_patroni does), to prove the owner is kept; otherwise it stays ours.
const postgres = isRoot() ? lookupOsUser('postgres') : undefined;

describe('writing a file pgfleet did not generate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-foreign-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function foreignFile(name: string, mode: number, content = 'scope: a\n'): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content);
    await chmod(path, mode);
    if (postgres) await chown(path, postgres.uid, postgres.gid);
    return path;
  }

  it('writes through a symlink into the real file, which keeps its owner and group; the link stays a link', async () => {
    const real = await foreignFile('15-main.yml', 0o660);
    const alias = join(dir, '15-main.yaml');
    await symlink('15-main.yml', alias);
    const before = await stat(real);
    const result = await writeForeignFile(alias, 'scope: b\n', { holdsSecret: true });
    assert.deepEqual(result, {
      realPath: real,
      modeBefore: 0o660,
      modeAfter: 0o660,
      changedMode: false,
      owner: { uid: before.uid, gid: before.gid },
    });
    assert.equal((await lstat(alias)).isSymbolicLink(), true);
    assert.equal(await readlink(alias), '15-main.yml');
    assert.equal(await readFile(real, 'utf8'), 'scope: b\n');
    const afterwards = await stat(real);
    assert.deepEqual([afterwards.uid, afterwards.gid, afterwards.mode & 0o7777], [before.uid, before.gid, 0o660]);
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
      [],
    );
  });

  it('removes only access by others when the file now holds a secret, and says so', async () => {
    const path = await foreignFile('open.yml', 0o664);
    const result = await writeForeignFile(path, 'x: 1\n', { holdsSecret: true });
    assert.deepEqual([result.modeBefore, result.modeAfter, result.changedMode], [0o664, 0o660, true]);
    assert.equal((await stat(path)).mode & 0o7777, 0o660);
  });

  it('keeps the mode as it is when no secret is written', async () => {
    const path = await foreignFile('plain.yml', 0o644);
    const result = await writeForeignFile(path, 'x: 1\n', { holdsSecret: false });
    assert.equal(result.changedMode, false);
    assert.equal((await stat(path)).mode & 0o7777, 0o644);
  });

  it("refuses, writing nothing, when removing others' access would lock out the running Patroni", async () => {
    const path = join(dir, 'root-owned.yml');
    await writeFile(path, 'old: 1\n');
    await chmod(path, 0o644);
    // A reader that is neither the owner nor in the group reads through "others".
    const stranger = { uid: 65_000, gids: [65_000] };
    await assert.rejects(
      writeForeignFile(path, 'new: 1\n', { holdsSecret: true, readers: [stranger] }),
      (error: unknown) => isPgfleetError(error) && error.code === 'FOREIGN_FILE_READER_LOCKED_OUT',
    );
    assert.equal(await readFile(path, 'utf8'), 'old: 1\n');
  });

  it('refuses a hard-linked file: the other names would keep the old content', async () => {
    const path = await foreignFile('linked.yml', 0o660);
    await link(path, join(dir, 'linked-copy.yml'));
    await assert.rejects(
      writeForeignFile(path, 'new: 1\n', { holdsSecret: false }),
      (error: unknown) => isPgfleetError(error) && error.code === 'FOREIGN_FILE_HARD_LINKED',
    );
  });

  it('leaves the old file untouched when validation of what was written fails', async () => {
    const path = await foreignFile('valid.yml', 0o660, 'good: 1\n');
    await assert.rejects(
      writeForeignFile(path, 'bad: [\n', {
        holdsSecret: false,
        validate: (text) => {
          if (text.includes('[')) throw new Error('not valid YAML');
        },
      }),
      /not valid YAML/,
    );
    assert.equal(await readFile(path, 'utf8'), 'good: 1\n');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
      [],
    );
  });

  it('refuses a dangling symlink', async () => {
    const dangling = join(dir, 'dangling.yml');
    await symlink('nowhere.yml', dangling);
    await assert.rejects(
      writeForeignFile(dangling, 'x: 1\n', { holdsSecret: false }),
      (error: unknown) => isPgfleetError(error) && error.code === 'FOREIGN_FILE_MISSING',
    );
  });
});
