import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { CliOutput, type ColorMode, type GlobalOptions, colorMode } from '../../../src/cli/cli-output.js';
import { labNarrator } from '../../../src/lab/lab-narrator.js';

/** A stream that records what is written, a terminal or not. */
class Recorder extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const SGR = /\u001b\[\d+m/;
const ERASE_LINE = '\r\u001b[2K';

function outputWith(options: Partial<GlobalOptions>, terminals: { stdout?: boolean; stderr?: boolean } = {}) {
  const stdout = new Recorder(terminals.stdout ?? false);
  const stderr = new Recorder(terminals.stderr ?? false);
  const output = new CliOutput(
    { output: 'text', quiet: false, verbose: false, color: 'auto', debug: false, ...options },
    stdout,
    stderr,
  );
  return { output, stdout, stderr };
}

describe('colour mode from --no-color, NO_COLOR and FORCE_COLOR', () => {
  it('is auto (decided by each stream being a terminal) when nothing is said', () => {
    assert.equal(colorMode(true, {}), 'auto');
  });

  it('is never with --no-color, whatever FORCE_COLOR says', () => {
    assert.equal(colorMode(false, {}), 'never');
    assert.equal(colorMode(false, { FORCE_COLOR: '1' }), 'never');
  });

  it('is never when NO_COLOR has any non-empty value, even with FORCE_COLOR; an empty NO_COLOR is ignored (no-color.org)', () => {
    assert.equal(colorMode(true, { NO_COLOR: '1' }), 'never');
    assert.equal(colorMode(true, { NO_COLOR: 'yes', FORCE_COLOR: '3' }), 'never');
    assert.equal(colorMode(true, { NO_COLOR: '' }), 'auto');
  });

  it('is always with FORCE_COLOR (empty, 1, 2, 3, true) and never with FORCE_COLOR=0 or false', () => {
    for (const value of ['', '1', '2', '3', 'true'])
      assert.equal(colorMode(true, { FORCE_COLOR: value }), 'always', `FORCE_COLOR=${value}`);
    for (const value of ['0', 'false'])
      assert.equal(colorMode(true, { FORCE_COLOR: value }), 'never', `FORCE_COLOR=${value}`);
  });
});

describe('colours on each stream', () => {
  const painted = (color: ColorMode, terminals: { stdout?: boolean; stderr?: boolean }) => {
    const { output } = outputWith({ color }, terminals);
    return { stderr: output.paint('error:', 31), stdout: output.paintStdout('[1]', 1) };
  };

  it('in auto mode, colours stderr text only when stderr is a terminal, and stdout text only when stdout is one', () => {
    assert.deepEqual(painted('auto', { stdout: false, stderr: true }), {
      stderr: '\u001b[31merror:\u001b[0m',
      stdout: '[1]',
    });
    assert.deepEqual(painted('auto', { stdout: true, stderr: false }), {
      stderr: 'error:',
      stdout: '\u001b[1m[1]\u001b[0m',
    });
    assert.deepEqual(painted('auto', { stdout: false, stderr: false }), { stderr: 'error:', stdout: '[1]' });
  });

  it('colours a pipe when forced (FORCE_COLOR), and nothing, not even a terminal, when colours are off', () => {
    assert.deepEqual(painted('always', {}), { stderr: '\u001b[31merror:\u001b[0m', stdout: '\u001b[1m[1]\u001b[0m' });
    assert.deepEqual(painted('never', { stdout: true, stderr: true }), { stderr: 'error:', stdout: '[1]' });
  });

  it('paints the "warning:" prefix by the same rule', () => {
    const onTerminal = outputWith({}, { stderr: true });
    onTerminal.output.warn('expires in 3 days');
    assert.equal(onTerminal.stderr.text, '\u001b[33mwarning:\u001b[0m expires in 3 days\n');
    const piped = outputWith({}, { stderr: false });
    piped.output.warn('expires in 3 days');
    assert.equal(piped.stderr.text, 'warning: expires in 3 days\n');
  });
});

describe('--quiet and --verbose', () => {
  const everything = (output: CliOutput) => {
    output.step('starting etcd');
    output.detail('PKI directory /x (from --dir)');
    output.progress('waiting for leaders');
    output.warn('a warning');
    output.data({ ok: true }, () => 'the result');
  };

  it('by default prints steps and warnings on stderr, data on stdout, and no detail', () => {
    const { output, stdout, stderr } = outputWith({});
    everything(output);
    assert.equal(stderr.text, 'starting etcd\nwarning: a warning\n');
    assert.equal(stdout.text, 'the result\n');
  });

  it('with --verbose also prints the detail lines, on stderr', () => {
    const { output, stdout, stderr } = outputWith({ verbose: true });
    everything(output);
    assert.equal(stderr.text, 'starting etcd\nPKI directory /x (from --dir)\nwarning: a warning\n');
    assert.equal(stdout.text, 'the result\n');
  });

  it('with --quiet keeps data and warnings but drops steps, detail and progress, even on a terminal and with --verbose', () => {
    const { output, stdout, stderr } = outputWith({ quiet: true, verbose: true }, { stderr: true });
    everything(output);
    output.endProgress();
    assert.equal(stderr.text, '\u001b[33mwarning:\u001b[0m a warning\n');
    assert.equal(stdout.text, 'the result\n');
  });

  it('with --quiet and --output json still prints the JSON data', () => {
    const { output, stdout } = outputWith({ quiet: true, output: 'json' });
    output.data({ ok: true }, () => 'unused');
    assert.deepEqual(JSON.parse(stdout.text), { ok: true });
  });
});

describe('progress displays only on a terminal', () => {
  it('writes nothing at all when stderr is not a terminal (a pipe or a file gets the steps only)', () => {
    const { output, stderr } = outputWith({}, { stdout: true, stderr: false });
    output.progress('waiting for leaders: alpha none');
    output.progress('waiting for leaders: alpha node1');
    output.endProgress();
    output.step('lab ready');
    assert.equal(stderr.text, 'lab ready\n');
  });

  it('on a terminal rewrites one line in place (no newline) and clears it at the end', () => {
    const { output, stderr } = outputWith({}, { stderr: true });
    output.progress('waiting: alpha none');
    output.progress('waiting: alpha node1');
    assert.equal(stderr.text, `${ERASE_LINE}waiting: alpha none${ERASE_LINE}waiting: alpha node1`);
    output.endProgress();
    assert.equal(stderr.text.endsWith(`node1${ERASE_LINE}`), true);
  });

  it('clears the progress line before a step, a detail or a warning, so they never share its line', () => {
    for (const print of [
      (o: CliOutput) => o.step('next step'),
      (o: CliOutput) => o.detail('next step'),
      (o: CliOutput) => o.warn('next step'),
    ]) {
      const { output, stderr } = outputWith({ verbose: true, color: 'never' }, { stderr: true });
      output.progress('waiting');
      print(output);
      assert.match(stderr.text, /^\r\u001b\[2Kwaiting\r\u001b\[2K(warning: )?next step\n$/);
    }
  });

  it('clears nothing when no progress line is shown', () => {
    const { output, stderr } = outputWith({}, { stderr: true });
    output.endProgress();
    output.step('a step');
    output.endProgress();
    assert.equal(stderr.text, 'a step\n');
  });
});

describe('the lab demo narration', () => {
  const tell = (narrator: ReturnType<typeof labNarrator>) => {
    narrator.step('Start a lab');
    narrator.command('pgfleet lab up --clusters 3');
    narrator.progress('waiting for leaders');
    narrator.say('lab ready in 9.0 s');
    narrator.summary(['tenants isolated (3/3)'], 'lab stopped and removed');
  };

  it('has no colour codes when stdout is piped, even though stderr is a terminal (pgfleet lab demo | tee demo.log)', () => {
    const { output, stdout, stderr } = outputWith({}, { stdout: false, stderr: true });
    tell(labNarrator(output, () => ''));
    assert.doesNotMatch(stdout.text, SGR);
    assert.equal(
      stdout.text,
      '\n[1] Start a lab\n    $ pgfleet lab up --clusters 3\n    lab ready in 9.0 s\n\nSummary\n  - tenants isolated (3/3)\n  - lab stopped and removed\n',
    );
    // The progress went to the terminal (stderr) and was cleared before the next narration line.
    assert.equal(stderr.text, `${ERASE_LINE}    waiting for leaders${ERASE_LINE}`);
  });

  it('is coloured when stdout is a terminal, and not with --no-color or NO_COLOR', () => {
    const coloured = outputWith({}, { stdout: true, stderr: false });
    tell(labNarrator(coloured.output, () => ''));
    assert.match(coloured.stdout.text, /\u001b\[1m\[1\]\u001b\[0m Start a lab/);
    assert.match(coloured.stdout.text, /\u001b\[36m\$ pgfleet lab up --clusters 3\u001b\[0m/);
    assert.equal(coloured.stderr.text, '', 'no progress when stderr is not a terminal');
    const plain = outputWith({ color: colorMode(false, {}) }, { stdout: true, stderr: true });
    tell(labNarrator(plain.output, () => ''));
    assert.doesNotMatch(plain.stdout.text, SGR);
  });

  it('indents the lab status table under the step', () => {
    const { output, stdout } = outputWith({});
    labNarrator(output, () => 'CLUSTER  LEADER\nalpha    node1').status({} as never);
    assert.equal(stdout.text, '    CLUSTER  LEADER\n    alpha    node1\n');
  });
});
