import { type Chat, createClient } from '@chatd/client';
import { ChatdChatTransport } from '@chatd/client/use-chat';
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  HELD_REPLY,
  type HeldReplyServer,
  startHeldReplyServer,
} from './test-support/held-reply-server.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-support/test-server.js';

const user = (id: string, text: string): UIMessage => ({
  id,
  role: 'user',
  parts: [{ type: 'text', text }],
});

async function lastMessage(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last as UIMessage;
}

const send = (
  transport: ChatdChatTransport,
  chatId: string,
  messages: UIMessage[],
  trigger: 'submit-message' | 'regenerate-message' = 'submit-message',
) =>
  transport.sendMessages({
    chatId,
    messages,
    trigger,
    messageId: undefined,
    abortSignal: undefined,
  });

const textOf = (message: UIMessage) =>
  message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

describe('ChatdChatTransport (@chatd/client/use-chat) against the server, read with the AI SDK', () => {
  let started: TestServer;
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    started = await startTestServer({ CHATD_DEMO_DELAY_MS: '15' });
    client = createClient({ baseUrl: started.url, token: ADMIN_TOKEN });
  });
  afterAll(() => started?.close());

  it('creates a chat for a new useChat id, streams the reply, and continues the same chat', async () => {
    const created: Chat[] = [];
    const transport = new ChatdChatTransport({
      client,
      onChatCreated: (_id, chat) => created.push(chat),
    });
    const first = await lastMessage(await send(transport, 'ui-1', [user('u1', 'Hello there')]));
    expect(first.role).toBe('assistant');
    expect(textOf(first)).toContain('Hello there');
    expect(created).toHaveLength(1);
    const second = await lastMessage(
      await send(transport, 'ui-1', [user('u1', 'Hello there'), first, user('u2', 'And again')]),
    );
    expect(textOf(second)).toContain('And again');
    const { messages } = await client.messages.list(created[0]?.id as string);
    expect(messages.filter((message) => message.role === 'user')).toHaveLength(2);
  });

  it("sends a message's attachments with its text, on a new chat and on an existing one", async () => {
    const image = 'data:image/png;base64,iVBORw0KGgo=';
    const withFile = (id: string, text: string): UIMessage => ({
      id,
      role: 'user',
      parts: [
        { type: 'text', text },
        { type: 'file', mediaType: 'image/png', url: image, filename: 'dot.png' },
      ],
    });
    const created: Chat[] = [];
    const transport = new ChatdChatTransport({
      client,
      onChatCreated: (_id, chat) => created.push(chat),
    });
    const first = await lastMessage(await send(transport, 'ui-files', [withFile('u1', 'Look')]));
    // The demo model names the files it was given.
    expect(textOf(first)).toContain('You attached dot.png (image/png).');
    const second = await lastMessage(
      await send(transport, 'ui-files', [withFile('u1', 'Look'), first, withFile('u2', 'Again')]),
    );
    expect(textOf(second)).toContain('You attached dot.png (image/png).');
    const { messages } = await client.messages.list(created[0]?.id as string);
    const sent = messages.filter((message) => message.role === 'user').map((m) => m.content.parts);
    expect(sent).toEqual([
      [
        { type: 'text', text: 'Again' },
        { type: 'file', mediaType: 'image/png', url: image, filename: 'dot.png' },
      ],
      [
        { type: 'text', text: 'Look' },
        { type: 'file', mediaType: 'image/png', url: image, filename: 'dot.png' },
      ],
    ]);
  });

  it('regenerates by editing the last user message', async () => {
    const transport = new ChatdChatTransport({ client });
    const first = await lastMessage(await send(transport, 'ui-regen', [user('u1', 'Version one')]));
    const again = await lastMessage(
      await send(transport, 'ui-regen', [user('u1', 'Version two'), first], 'regenerate-message'),
    );
    expect(textOf(again)).toContain('Version two');
  });

  it('stopping the stream ends it without stopping the turn', async () => {
    const transport = new ChatdChatTransport({ client });
    const stop = new AbortController();
    const stream = await transport.sendMessages({
      chatId: 'ui-stop',
      messages: [user('u1', 'Keep going')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: stop.signal,
    });
    const reader = stream.getReader();
    await reader.read();
    stop.abort();
    while (!(await reader.read()).done);
    const chatId = (await client.chats.list()).chats.find((chat) =>
      chat.title.includes('Keep going'),
    )?.id as string;
    await vi.waitFor(async () => expect((await client.chats.get(chatId)).status).toBe('waiting'), {
      timeout: 20_000,
      interval: 50,
    });
    const { messages } = await client.messages.list(chatId, { limit: 1 });
    // The whole canned reply, to its last sentence: the turn was not interrupted.
    expect(JSON.stringify(messages[0]?.content)).toContain('for a real model.');
  });
});

describe('ChatdChatTransport while a reply streams (held by the provider)', () => {
  let held: HeldReplyServer;
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    held = await startHeldReplyServer();
    client = createClient({ baseUrl: held.url, token: ADMIN_TOKEN });
  });
  afterAll(() => held?.close());

  const running = (chatId: string) =>
    vi.waitFor(async () => expect((await client.chats.get(chatId)).status).toBe('running'), {
      timeout: 20_000,
      interval: 20,
    });

  it('uses a chatd chat id as it is, and a message sent while busy streams when its turn comes', async () => {
    const release = held.holdReply();
    onTestFinished(release);
    held.provider.reply({ kind: 'text', text: 'The queued question, answered.' });
    const chat = await client.chats.create({ content: 'A long first turn' });
    await running(chat.id);
    const transport = new ChatdChatTransport({ client });
    // The first turn is still streaming: this message waits in the queue.
    const queued = await send(transport, chat.id, [user('u2', 'Queued question')]);
    release();
    expect(textOf(await lastMessage(queued))).toBe('The queued question, answered.');
  });

  it('resumes an in-flight reply from its start, and returns null when nothing is in flight', async () => {
    const release = held.holdReply();
    onTestFinished(release);
    const chat = await client.chats.create({ content: 'Resume me' });
    await running(chat.id);
    const transport = new ChatdChatTransport({ client });
    const resumed = await transport.reconnectToStream({ chatId: chat.id });
    expect(resumed).not.toBeNull();
    release();
    const answer = await lastMessage(resumed as ReadableStream<UIMessageChunk>);
    expect(textOf(answer)).toBe(HELD_REPLY.join(''));
    await vi.waitFor(async () => expect((await client.chats.get(chat.id)).status).toBe('waiting'));
    expect(await transport.reconnectToStream({ chatId: chat.id })).toBeNull();
    expect(await transport.reconnectToStream({ chatId: 'never-used' })).toBeNull();
  });
});
