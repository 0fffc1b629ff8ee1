/**
 * Runs `check` (some expect() calls) and, when it fails, puts `behaviour` in
 * front of jest's message: the failure says which promise of the library
 * broke ("a replacement was spawned only after the child it replaces
 * exited"), not only "expected 3, received 4".
 */
export function expectBehaviour(behaviour: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof Error) err.message = `${behaviour}\n\n${err.message}`;
    throw err;
  }
}
