import type { SystemdNotifier, SystemdOption, SystemdPool } from './systemd';

/**
 * The `systemd` option at the manager's first start(): the notifier (systemd.ts)
 * is made then, when the option and the environment ask for one, and loaded only
 * in that case: most pools never run under systemd's notify protocol.
 */
export class SystemdStart {
  #notifier: SystemdNotifier | undefined;
  #checked = false;

  constructor(
    private readonly option: SystemdOption | undefined,
    private readonly pool: SystemdPool,
    private readonly manager: number,
  ) {}

  /** Called at each start(); only the first does anything. */
  started(): void {
    if (this.#checked) return;
    this.#checked = true;
    if (this.option === false) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily (see above)
    const { startSystemdNotifier } = require('./systemd') as typeof import('./systemd');
    this.#notifier = startSystemdNotifier(this.option, this.pool, this.manager);
  }

  /** The variables a child's environment loses while the manager notifies (systemd.ts says why); undefined when it does not. */
  get childEnv(): SystemdNotifier['childEnv'] | undefined {
    return this.#notifier?.childEnv;
  }
}
