import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePatroniCommandLine } from '../../../src/core/instance/patroni-command-line.js';

describe('which processes are Patroni daemons, and their configuration path', () => {
  it('reads the path after the interpreter and the script, as /usr/bin/patroni runs', () => {
    assert.deepEqual(parsePatroniCommandLine(['/usr/bin/python3', '/usr/bin/patroni', '/etc/patroni/15-main.yml']), {
      kind: 'daemon',
      configArg: '/etc/patroni/15-main.yml',
    });
  });

  it("keeps a relative path as given (it is resolved against the process's cwd later)", () => {
    assert.deepEqual(parsePatroniCommandLine(['patroni', 'patroni/15-main.yml']), {
      kind: 'daemon',
      configArg: 'patroni/15-main.yml',
    });
  });

  it('skips interpreter options and understands python -m patroni', () => {
    assert.deepEqual(parsePatroniCommandLine(['python3.11', '-u', '-X', 'utf8', '/usr/local/bin/patroni', 'c.yml']), {
      kind: 'daemon',
      configArg: 'c.yml',
    });
    assert.deepEqual(parsePatroniCommandLine(['/usr/bin/python3', '-m', 'patroni', '/etc/p.yml']), {
      kind: 'daemon',
      configArg: '/etc/p.yml',
    });
  });

  it('knows a daemon started without a file (configuration from the environment)', () => {
    assert.deepEqual(parsePatroniCommandLine(['/usr/bin/python3', '/usr/bin/patroni']), {
      kind: 'daemon-without-file',
    });
  });

  it('leaves out validation and version runs, patronictl, other Python programs and PostgreSQL', () => {
    for (const argv of [
      ['/usr/bin/python3', '/usr/bin/patroni', '--validate-config', '/etc/patroni/15-main.yml'],
      ['patroni', '--version'],
      ['/usr/bin/python3', '/usr/bin/patronictl', '-c', '/etc/patroni/15-main.yml', 'list'],
      ['/usr/bin/python3', '/usr/bin/vip-manager.py', 'patroni'],
      ['/usr/bin/python3', '-c', 'import patroni'],
      ['postgres: 15-main: checkpointer'],
      [],
    ]) {
      assert.equal(parsePatroniCommandLine(argv), undefined, argv.join(' '));
    }
  });
});
