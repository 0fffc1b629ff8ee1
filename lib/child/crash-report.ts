import { writeSync } from 'node:fs';

/**
 * Tells the manager why this child is about to die: Node calls
 * 'uncaughtExceptionMonitor' for an uncaught exception, and for an unhandled
 * rejection under the default `--unhandled-rejections=throw`, just before it
 * prints the error and exits. Watching changes nothing of Node's default
 * behaviour. The line goes out with a synchronous write(2) because nothing
 * asynchronous runs after this point.
 *
 * `send` is asked first: it writes through the channel when the channel has
 * bytes still queued (a synchronous write then would cut into the middle of
 * one of its lines) and returns true; otherwise we write here.
 */
export function watchCrashes(fd: number, line: (error: unknown) => string, viaChannel: (text: string) => boolean): void {
  process.on('uncaughtExceptionMonitor', (error) => {
    let text: string;
    try {
      text = line(error);
    } catch {
      return; // an error JSON cannot describe at all: Node still prints it on stderr
    }
    if (viaChannel(text)) return;
    try {
      writeSync(fd, text);
    } catch {
      /* the manager is gone, or the pipe is full: Node still prints the error on stderr */
    }
  });
}
