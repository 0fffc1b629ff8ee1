// The same public types through the package's "import" condition (dist/index.d.mts).
import { PreforkIPC, type ManagerView, type PreforkView } from 'parallel-prefork-ipc';
import { assertType, type Equal } from './helpers.js';

const ppi = new PreforkIPC({
  callbacks: { twice: (_ppi, _pid, n: number) => n * 2 },
  beforeFork: (view) => ({ at: view.generation }),
  onChildReap: (_ppi, _pid, _status, final: string[] | undefined) => void final,
});
assertType<Equal<typeof ppi.workerData, { at: number } | undefined>>();
const doubled = await ppi.callback('twice', 2);
assertType<Equal<typeof doubled, number>>();
// @ts-expect-error wrong payload type
await ppi.callback('twice', '2');
// @ts-expect-error wrong final payload type
await ppi.finish(0, [1]);
export const view: PreforkView<{ twice: (ppi: ManagerView, pid: number, n: number) => number }, string[], { at: number }> = ppi;
