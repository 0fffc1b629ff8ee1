/**
 * Whose turn it is (`balance: 'round-robin'`): the children taking one
 * listener's connections, dealt to in turn. No sockets, no processes: what
 * round-robin.ts asks when a connection arrives.
 *
 * Every member takes its turn, whatever its generation: a child leaves the
 * rotation the moment the manager tells it to stop, so during a reload the
 * old children not yet told go on sharing the load with the new ones that
 * serve. (Dealing to the newest generation only, as this did first, put
 * every new connection of a 4-child pool on the first new child for the
 * whole of a gated rolling reload, and left the old generation idle beside
 * the survivors of an abandoned one.)
 */
export class Rotation<K> {
  readonly #members: K[] = [];
  /** Index in #members where the search for the next turn begins. */
  #cursor = 0;

  get size(): number {
    return this.#members.length;
  }

  has(key: K): boolean {
    return this.#members.includes(key);
  }

  /** Adds `key` at the end of the turn order; a member already there stays where it is. */
  join(key: K): void {
    if (!this.has(key)) this.#members.push(key);
  }

  /** Removes `key`; false when it was not a member. */
  leave(key: K): boolean {
    const index = this.#members.indexOf(key);
    if (index < 0) return false;
    this.#members.splice(index, 1);
    // The member after the one removed keeps its turn.
    if (index < this.#cursor) this.#cursor--;
    return true;
  }

  /** The member whose turn it is, and moves the turn on; undefined when there are none. */
  next(): K | undefined {
    const count = this.#members.length;
    if (count === 0) return undefined;
    const index = this.#cursor % count;
    this.#cursor = (index + 1) % count;
    return this.#members[index];
  }
}
