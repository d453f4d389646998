import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';

/** mulberry32: a small seeded PRNG, so a failure can be replayed from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('MinHeap', () => {
  it('is empty when new', () => {
    const heap = new MinHeap<number>((a, b) => a < b);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it('pops items smallest first, whatever the push order', () => {
    const seed = 20260101;
    const random = seededRandom(seed);
    const heap = new MinHeap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, () => Math.floor(random() * 100));
    for (const value of values) heap.push(value);
    const popped: number[] = [];
    while (heap.size > 0) {
      expect(heap.peek()).toBe(heap.peek());
      popped.push(heap.pop() as number);
    }
    expect(popped, `seed ${seed}`).toEqual([...values].sort((a, b) => a - b));
  });

  it('keeps its order when pushes and pops interleave', () => {
    const seed = 7;
    const random = seededRandom(seed);
    const heap = new MinHeap<number>((a, b) => a < b);
    const model: number[] = [];
    for (let step = 0; step < 2_000; step++) {
      if (model.length > 0 && random() < 0.4) {
        model.sort((a, b) => a - b);
        expect(heap.pop(), `seed ${seed}, step ${step}`).toBe(model.shift());
      } else {
        const value = Math.floor(random() * 1_000);
        heap.push(value);
        model.push(value);
      }
      expect(heap.size).toBe(model.length);
    }
  });

  it('orders by the comparator it was given', () => {
    const heap = new MinHeap<{ closedAt: number }>((a, b) => a.closedAt < b.closedAt);
    for (const closedAt of [30, 10, 20]) heap.push({ closedAt });
    expect(heap.pop()).toEqual({ closedAt: 10 });
    heap.clear();
    expect(heap.size).toBe(0);
  });
});
