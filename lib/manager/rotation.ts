/**
 * Whose turn it is (`balance: 'round-robin'`): the children taking one
 * listener's connections, dealt to in turn. No sockets, no processes: what
 * round-robin.ts asks when a connection arrives.
 *
 * Only the newest generation among the members takes connections. During a
 * rolling reload an old child not yet told to stop is still a member, so it
 * keeps serving until the first child of the new generation serves (no wait
 * in between), and from then on new connections go to the new generation
 * only, so the old children drain instead of taking more.
 */
export class Rotation<K> {
  readonly #members: Array<{ readonly key: K; readonly generation: number }> = [];
  /** Index in #members where the search for the next turn begins. */
  #cursor = 0;

  get size(): number {
    return this.#members.length;
  }

  has(key: K): boolean {
    return this.#members.some((member) => member.key === key);
  }

  /** Adds `key` at the end of the turn order; a member already there stays where it is. */
  join(key: K, generation: number): void {
    if (!this.has(key)) this.#members.push({ key, generation });
  }

  /** Removes `key`; false when it was not a member. */
  leave(key: K): boolean {
    const index = this.#members.findIndex((member) => member.key === key);
    if (index < 0) return false;
    this.#members.splice(index, 1);
    // The member after the one removed keeps its turn.
    if (index < this.#cursor) this.#cursor--;
    return true;
  }

  /** The member whose turn it is, among the newest generation's, and moves the turn on; undefined when there are none. */
  next(): K | undefined {
    const count = this.#members.length;
    if (count === 0) return undefined;
    let newest = -Infinity;
    for (const member of this.#members) if (member.generation > newest) newest = member.generation;
    for (let step = 0; step < count; step++) {
      const index = (this.#cursor + step) % count;
      const member = this.#members[index];
      if (member.generation !== newest) continue;
      this.#cursor = (index + 1) % count;
      return member.key;
    }
    return undefined; // unreachable: some member has the newest generation
  }
}
