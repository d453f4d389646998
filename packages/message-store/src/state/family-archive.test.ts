import { expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../test-support/databases.js';
import { anError, type Machine, openMachine, versions } from '../test-support/state-fixtures.js';

/** A root with two children, all in error (archivable) unless told otherwise. */
async function family(machine: Machine) {
  const { chatId: root } = await machine.create();
  const { chatId: first } = await machine.create({ parentChatId: root });
  const { chatId: second } = await machine.create({ parentChatId: first });
  for (const chatId of [root, first, second]) {
    await machine.update(chatId, (chat) => chat.finishError(anError));
  }
  machine.clearPublished();
  return { root, first, second };
}

async function archivedFlags(database: TestDatabase, ids: string[]) {
  const flags: boolean[] = [];
  for (const id of ids) {
    const [row] = await database.query<{ archived: boolean }>(
      'SELECT archived FROM chats WHERE id = $1',
      [id],
    );
    flags.push(row?.archived as boolean);
  }
  return flags;
}

describeEachDatabase('family archive', (database) => {
  it('archives the root and every descendant, root first, bumping and publishing each', async () => {
    const machine = await openMachine(database);
    const { root, first, second } = await family(machine);
    const { chatIds } = await machine.family(root, true);
    expect(chatIds).toEqual([root, first, second]);
    expect(await archivedFlags(database, chatIds)).toEqual([true, true, true]);
    expect(machine.published().map((m) => m.channel)).toEqual(
      chatIds.map((id) => `chat:update:${id}`),
    );
  });

  it('rejects a child with CHAT_NOT_ROOT', async () => {
    const machine = await openMachine(database);
    const { first } = await family(machine);
    await expect(machine.family(first, true)).rejects.toMatchObject({ code: 'CHAT_NOT_ROOT' });
  });

  it('rejects an unknown root with CHAT_NOT_FOUND', async () => {
    const machine = await openMachine(database);
    await expect(
      machine.family('00000000-0000-4000-8000-000000000003', true),
    ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
  });

  it('rolls the whole family back when one member cannot be archived', async () => {
    const machine = await openMachine(database);
    const { root, first, second } = await family(machine);
    await machine.update(second, (chat) =>
      chat.sendMessage({
        role: 'user',
        content: { version: 1, parts: [{ type: 'text', text: 'busy' }] },
        createdBy: 'u',
      }),
    );
    machine.clearPublished();
    const before = await versions(database, root);
    await expect(machine.family(root, true)).rejects.toMatchObject({
      code: 'TRANSITION_NOT_ALLOWED',
      // Says what is wrong in words, then the state machine's terms.
      message:
        'The chat is running: cannot archive or unarchive it [transition setArchived in state R0]',
    });
    expect(await archivedFlags(database, [root, first, second])).toEqual([false, false, false]);
    expect(await versions(database, root)).toEqual(before);
    expect(machine.published()).toEqual([]);
  });

  it('rejects a family with an invalid member even when it is already at the target', async () => {
    const machine = await openMachine(database);
    const { root, first } = await family(machine);
    // Archived and running: Invalid, though already archived.
    await database.query(`UPDATE chats SET archived = true, status = 'running' WHERE id = $1`, [
      first,
    ]);
    await expect(machine.family(root, true)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await archivedFlags(database, [root])).toEqual([false]);
  });

  it('accepts members already archived and still bumps them', async () => {
    const machine = await openMachine(database);
    const { root, first, second } = await family(machine);
    await machine.update(first, (chat) => chat.setArchived(true));
    const before = await versions(database, first);
    await machine.family(root, true);
    expect(await archivedFlags(database, [root, first, second])).toEqual([true, true, true]);
    expect((await versions(database, first)).snapshot).toBe(before.snapshot + 1);
  });

  it('unarchives a family', async () => {
    const machine = await openMachine(database);
    const { root, first, second } = await family(machine);
    await machine.family(root, true);
    await machine.family(root, false);
    expect(await archivedFlags(database, [root, first, second])).toEqual([false, false, false]);
  });
});
