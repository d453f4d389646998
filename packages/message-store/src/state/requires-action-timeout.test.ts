import { expect, it } from 'vitest';
import { describeEachDatabase } from '../test-support/databases.js';
import { chatIn, openMachine } from '../test-support/state-fixtures.js';

describeEachDatabase('enterRequiresAction timeout', (database) => {
  it('sets the deadline to DB now plus the given timeoutMs', async () => {
    const machine = await openMachine(database);
    const { chatId } = await chatIn(machine, database, 'R0');
    await machine.update(chatId, (chat) => chat.enterRequiresAction({ timeoutMs: 1500 }));
    const [row] = await database.query<{ ms: number | string }>(
      `SELECT extract(epoch FROM requires_action_deadline_at - updated_at) * 1000 AS ms
       FROM chats WHERE id = $1`,
      [chatId],
    );
    expect(Math.abs(Number(row?.ms) - 1500)).toBeLessThan(1);
  });

  it.each([0, -1, 1.5, '10'])(
    'refuses timeoutMs %s, naming the field, and writes nothing',
    async (timeoutMs) => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      const before = await machine.readLock(chatId, async (chat) => chat.row.snapshotVersion);
      await expect(
        machine.update(chatId, (chat) =>
          chat.enterRequiresAction({ timeoutMs } as unknown as { timeoutMs: number }),
        ),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'input.timeoutMs' });
      expect(await machine.readLock(chatId, async (chat) => chat.row.snapshotVersion)).toBe(before);
    },
  );
});
