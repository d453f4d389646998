import { PubSub } from '@chatd/pubsub';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { ChatTransitions } from '../state/chat-transitions.js';
import { openStore } from '../store/open-store.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { assistantText, text } from '../test-support/state-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * An app's pool of one connection that records the most statements it ever had in flight at
 * once: `pg` without pipelining queues a statement sent while others wait, and warns that
 * pg 9 will refuse it.
 */
function countingPool(url: string, pipeline: boolean) {
  let inFlight = 0;
  let most = 0;
  class Client extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads are not expressible here
    override query(...args: any[]): any {
      // biome-ignore lint/suspicious/noExplicitAny: see above
      const result = (super.query as (...a: any[]) => any)(...args);
      if (typeof result?.then === 'function') {
        inFlight += 1;
        most = Math.max(most, inFlight);
        const done = () => {
          inFlight -= 1;
        };
        result.then(done, done);
      }
      return result;
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 1, Client, pipeline });
  return { pool, mostInFlight: () => most };
}

const finishStep = (chat: ChatTransitions) =>
  chat.commitStep({
    messages: [assistantText('done')],
    finishTurn: { release: true },
    lastInUpdate: true,
  });

describeEachDatabase('an app pool', (database) => {
  it.runIf(database.kind === 'postgres')(
    'without pipelining gets one statement at a time; with it, statements overlap',
    async () => {
      for (const pipeline of [false, true]) {
        const { pool, mostInFlight } = countingPool(database.url as string, pipeline);
        const pubsub = new PubSub();
        const store = await openStore({ pool }, { pubsub });
        cleanups.push(async () => {
          await store.close();
          await pubsub.close();
          await pool.end();
        });
        const other = await openStore({ url: database.url as string }, { pubsub });
        cleanups.push(() => other.close());
        const owner = { workerId: 'w', runnerId: 'r' };
        const create = () =>
          store.createChat({
            ownerId: 'o',
            messages: [{ role: 'user', content: text('hello'), createdBy: 'u' }],
            owner,
            recordGenerationAttempt: true,
          });

        // A turn's end, sent behind the bump with its COMMIT.
        const { chatId } = await create();
        await store.update(chatId, finishStep, { pipelined: true });
        expect((await store.getChat(chatId)).status).toBe('waiting');

        // A chat another store changed meanwhile: the first attempt fails behind the bump and
        // rolls back, the second commits.
        const { chatId: movedId } = await create();
        await other.update(movedId, (chat) =>
          chat.sendMessage({ role: 'user', content: text('later'), createdBy: 'u' }),
        );
        let attempts = 0;
        await store.update(
          movedId,
          (chat) => {
            attempts += 1;
            return chat.commitStep({
              messages: [assistantText('done')],
              finishTurn: { release: true },
            });
          },
          { pipelined: true },
        );
        expect(attempts).toBe(2);
        expect((await store.getChat(movedId)).status).toBe('running');

        // A callback that fails after its write: rolled back, the connection clean after.
        const before = await store.getChat(chatId);
        await expect(
          store.update(chatId, async (chat) => {
            await chat.setArchived(true);
            throw new Error('callback failed');
          }),
        ).rejects.toThrow('callback failed');
        expect(await store.getChat(chatId)).toEqual(before);
        expect((await store.getChat(chatId)).archived).toBe(false);

        if (pipeline) expect(mostInFlight()).toBeGreaterThan(1);
        else expect(mostInFlight()).toBe(1);
      }
    },
  );
});
