/**
 * A binary min-heap: `push` and `pop` in O(log n), `peek` in O(1).
 *
 * The buffer keeps closed episodes in one, ordered by when they closed, so a GC pass touches
 * only the episodes that have expired instead of scanning every episode.
 * @internal
 */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #isLess: (a: T, b: T) => boolean;

  /** @param isLess whether `a` must come out before `b`. */
  constructor(isLess: (a: T, b: T) => boolean) {
    this.#isLess = isLess;
  }

  /** How many items the heap holds. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `item`. */
  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#isLess(item, items[parent] as T)) break;
      items[index] = items[parent] as T;
      index = parent;
    }
    items[index] = item;
  }

  /** Removes and returns the smallest item. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    // Sift the former last item down from the root.
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const smaller =
        right < items.length && this.#isLess(items[right] as T, items[left] as T) ? right : left;
      if (!this.#isLess(items[smaller] as T, last)) break;
      items[index] = items[smaller] as T;
      index = smaller;
    }
    items[index] = last;
    return top;
  }

  /** Removes every item. */
  clear(): void {
    this.#items.length = 0;
  }
}
