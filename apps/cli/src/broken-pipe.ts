/**
 * Ends the process quietly when whoever reads its output stops reading (`chatd … | head -1`):
 * the write then fails with EPIPE, which for a command-line program is a normal end, not a
 * crash. Node ignores SIGPIPE, so without this the failed write surfaces as an unhandled
 * `error` event and a stack trace. The exit code is the one set so far (0 when none).
 */
export function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
}
