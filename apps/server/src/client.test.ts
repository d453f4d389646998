import { ChatView, type ClientStreamEvent, createClient } from '@chatd/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestServer,
  type TestServer,
  ADMIN_TOKEN as TOKEN,
} from './test-support/test-server.js';

describe('@chatd/client against the real server', () => {
  let started: TestServer;
  let client: ReturnType<typeof createClient>;
  let baseUrl: string;

  beforeAll(async () => {
    started = await startTestServer();
    baseUrl = started.url;
    client = createClient({ baseUrl, token: TOKEN });
  });
  afterAll(async () => {
    await started?.close();
  });

  /** Streams a chat into a ChatView until its turn is over. */
  async function untilWaiting(
    chatId: string,
  ): Promise<{ view: ChatView; events: ClientStreamEvent[] }> {
    const view = new ChatView();
    const events: ClientStreamEvent[] = [];
    const stop = new AbortController();
    for await (const event of client.stream(chatId, { signal: stop.signal })) {
      events.push(event);
      view.apply(event);
      if (
        view.status === 'waiting' &&
        view.messages.some((message) => message.role === 'assistant')
      )
        stop.abort();
    }
    return { view, events };
  }

  it('covers every method: chats, messages, queue, actions, models, me and admin', async () => {
    expect(await client.me()).toMatchObject({ name: 'admin', isAdmin: true });
    expect((await client.models.list()).models[0]?.id).toBe('demo');

    const chat = await client.chats.create({ content: 'Hello, client', title: 'client test' });
    const { view, events } = await untilWaiting(chat.id);
    expect(events[0]).toEqual({ type: 'connection', state: 'connecting' });
    expect(view.messages.map((message) => message.role)).toEqual(['user', 'assistant']);

    const listed = await client.chats.list();
    expect(listed.chats.map((listedChat) => listedChat.id)).toContain(chat.id);
    expect((await client.chats.get(chat.id)).title).toBe('client test');
    expect((await client.chats.update(chat.id, { title: 'renamed' })).title).toBe('renamed');
    const labels = { project: 'x', stage: 'a:b' };
    expect((await client.chats.update(chat.id, { labels })).labels).toEqual(labels);
    const labelled = await client.chats.list({ labels });
    expect(labelled.chats.map((listedChat) => listedChat.id)).toEqual([chat.id]);
    expect((await client.chats.list({ labels: { project: 'y' } })).chats).toEqual([]);

    const page = await client.messages.list(chat.id, { limit: 10 });
    expect(page.messages).toHaveLength(2);
    const sent = await client.messages.send(chat.id, { content: 'second' });
    expect(sent.queued === false ? sent.message?.role : sent.queuedMessage?.content).toBeDefined();
    await untilWaiting(chat.id);
    const userMessage = (await client.messages.list(chat.id)).messages.find(
      (m) => m.role === 'user',
    );
    const edited = await client.messages.edit(chat.id, userMessage?.id as number, {
      content: 'edited',
    });
    expect(edited.content.parts).toEqual([{ type: 'text', text: 'edited' }]);
    await untilWaiting(chat.id);

    await expect(client.actions.interrupt(chat.id)).rejects.toMatchObject({ status: 409 });
    // Only a chat in an invalid state can be reconciled: a healthy one is a 409.
    await expect(client.actions.reconcile(chat.id)).rejects.toMatchObject({
      status: 409,
      code: 'TRANSITION_NOT_ALLOWED',
    });
    // The queue is empty while the chat waits: the state machine refuses both.
    await expect(client.queue.delete(chat.id, 999)).rejects.toMatchObject({ status: 409 });
    await expect(client.queue.promote(chat.id, 999)).rejects.toMatchObject({ status: 409 });
    await expect(client.actions.compact(chat.id)).resolves.toBeUndefined();
    await expect(
      client.actions.submitToolResults(chat.id, [{ toolCallId: 'nope', output: 1 }]),
    ).rejects.toMatchObject({ status: 409 });

    const { user, token } = await client.admin.createUser({ name: 'carol' });
    const carol = createClient({ baseUrl, token: token.token });
    await expect(carol.chats.get(chat.id)).rejects.toMatchObject({
      status: 404,
      code: 'CHAT_NOT_FOUND',
    });
    expect((await client.admin.listUsers()).users.map((listedUser) => listedUser.name)).toContain(
      'carol',
    );
    const second = await client.admin.createToken(user.id, { name: 'laptop' });
    await client.admin.revokeToken(second.id);
    await expect(createClient({ baseUrl, token: second.token }).me()).rejects.toMatchObject({
      status: 401,
    });
    await expect(carol.admin.listUsers()).rejects.toMatchObject({ status: 403 });
    expect((await client.admin.listTokens(user.id)).tokens.map((listed) => listed.id)).toEqual([
      token.id,
    ]);

    await expect(carol.chats.delete(chat.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.chats.delete(chat.id)).resolves.toBeUndefined();
    await expect(client.chats.get(chat.id)).rejects.toMatchObject({
      status: 404,
      code: 'CHAT_NOT_FOUND',
    });

    expect(await client.admin.updateUser(user.id, { name: 'caroline' })).toEqual({
      id: user.id,
      name: 'caroline',
      isAdmin: false,
    });
    await client.admin.deleteUser(user.id);
    await expect(carol.me()).rejects.toMatchObject({ status: 401 });
    const me = await client.me();
    await expect(client.admin.deleteUser(me.id)).rejects.toMatchObject({
      status: 409,
      code: 'CANNOT_DELETE_SELF',
    });
  });

  it("a stream of another user's chat ends with a typed 404", async () => {
    const chat = await client.chats.create({ content: 'private' });
    const { token } = await client.admin.createUser({ name: 'dave' });
    const dave = createClient({ baseUrl, token: token.token });
    const failure = await (async () => {
      try {
        for await (const _event of dave.stream(chat.id)) {
        }
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(failure).toMatchObject({ status: 404, code: 'CHAT_NOT_FOUND' });
  });
});
