/**
 * A reader that goes away (`pgfleet --help | head -1`, a pager quit early,
 * `2>&1 | head`) closes stdout or stderr under pgfleet: the next write fails
 * with EPIPE, which Node turns into an unhandled 'error' event: a stack trace
 * and exit 1, possibly in the middle of a migration.
 *
 * Here it means only that nobody reads that stream any more. Node has
 * destroyed the stream, so later writes to it are dropped; the command runs
 * to its end (a migration or a lab demo is not cut short, its clean-up
 * included, because a pager quit: Ctrl-C is the way to stop one) and exits
 * with its own documented code, 0 for help. Not 141 as `git` dying of
 * SIGPIPE: pgfleet's codes carry the outcome (1 findings, 3 rolled back...)
 * and it was not killed part-way.
 */
export function dropOutputOfGoneReaders(
  streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      // Any other failure of the terminal or file is not ours to hide: as uncaught as it was without this listener.
      throw error;
    });
  }
}
