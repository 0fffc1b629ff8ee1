/**
 * A stop signal that reaches a child before it calls serve() (it is still
 * loading its application) has two fates. With no listener for it, Node's
 * default action ends the child (status 143): nothing was served yet, so
 * nothing is lost but a clean exit. With a listener of the application's own
 * (a cleanup handler installed at start-up), the signal is swallowed, and
 * serve(), called later, would serve until gracePeriod's SIGKILL.
 *
 * So as soon as the application itself listens for a signal (and so Node's
 * default action is off anyway), a companion listener here notes that the
 * signal arrived; serve() asks, and stops at once instead of starting to
 * listen. The companion is removed when it is the last listener left, so a
 * process whose own listeners are gone gets Node's default action back: this
 * never changes what a signal does.
 */
const received = new Set<string>();
const companions = new Map<string, () => void>();
let watching = false;

function isSignal(event: string | symbol): event is NodeJS.Signals {
  return typeof event === 'string' && /^SIG[A-Z0-9]+$/.test(event);
}

/** Starts watching: from now on, a signal the application listens for is noted when it arrives. */
export function watchEarlySignals(): void {
  if (watching) return;
  watching = true;
  process.on('newListener', (event: string | symbol) => {
    if (!isSignal(event) || companions.has(event)) return;
    const note = (): void => void received.add(event);
    companions.set(event, note); // before process.on(): it emits newListener again
    process.on(event, note);
  });
  process.on('removeListener', (event: string | symbol) => {
    if (!isSignal(event)) return;
    const note = companions.get(event);
    if (note && process.listeners(event).length === 1 && process.listeners(event)[0] === note) {
      companions.delete(event);
      process.removeListener(event, note);
    }
  });
}

/** Whether `signal` arrived since the last call for it (and forgets it): serve() asks once, when it starts. */
export function takeEarlySignal(signal: NodeJS.Signals): boolean {
  return received.delete(signal);
}
