/** Reads the next `count` events from an async iterable without ending it. Test-only. */
export async function take<E>(source: AsyncIterable<E>, count: number): Promise<E[]> {
  const iterator = source[Symbol.asyncIterator]();
  const events: E[] = [];
  while (events.length < count) {
    const result = await iterator.next();
    if (result.done) throw new Error(`ended after ${events.length} of ${count} events`);
    events.push(result.value);
  }
  return events;
}

/** Reads every event until the iterable ends. Test-only. */
export async function readAll<E>(source: AsyncIterable<E>): Promise<E[]> {
  const events: E[] = [];
  for await (const event of source) events.push(event);
  return events;
}

/** Whether `promise` has settled, after letting pending callbacks run. Test-only. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}
