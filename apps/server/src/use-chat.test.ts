import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  HELD_REPLY,
  type HeldReplyServer,
  startHeldReplyServer,
} from './test-support/held-reply-server.js';
import {
  startTestServer,
  type TestServer,
  ADMIN_TOKEN as TOKEN,
} from './test-support/test-server.js';

describe('stock useChat against the server (DefaultChatTransport and readUIMessageStream from ai)', () => {
  let started: TestServer;
  let url: string;

  beforeAll(async () => {
    started = await startTestServer();
    url = started.url;
  });
  afterAll(async () => {
    await started?.close();
  });

  const transport = () =>
    new DefaultChatTransport<UIMessage>({
      api: `${url}/api/chat`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });

  /** Sends the conversation the way useChat does and builds the assistant message from the stream. */
  async function send(
    chatId: string,
    messages: UIMessage[],
    trigger: 'submit-message' | 'regenerate-message' = 'submit-message',
  ) {
    const stream = await transport().sendMessages({
      chatId,
      messages,
      trigger,
      messageId: undefined,
      abortSignal: undefined,
    });
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream })) last = message;
    return last as UIMessage;
  }

  const user = (id: string, text: string): UIMessage => ({
    id,
    role: 'user',
    parts: [{ type: 'text', text }],
  });

  it('streams the answer of a new chat as one assistant UI message', async () => {
    const answer = await send('client-chat-1', [user('u1', 'Hello from useChat')]);
    expect(answer.role).toBe('assistant');
    const text = answer.parts.find((part) => part.type === 'text');
    expect(text).toMatchObject({ type: 'text', state: 'done' });
    expect((text as { text: string }).text).toContain('Hello from useChat');
  });

  it('keeps the files attached to a message (links and data: URLs) beside its text', async () => {
    const image = 'data:image/png;base64,iVBORw0KGgo=';
    const answer = await send('client-chat-files', [
      {
        id: 'u1',
        role: 'user',
        parts: [
          { type: 'text', text: 'Describe the attached picture' },
          { type: 'file', mediaType: 'image/png', url: image, filename: 'dot.png' },
        ],
      },
    ]);
    expect(answer.role).toBe('assistant');
    // The demo model names the attachments it was given: the file reached the model.
    expect(JSON.stringify(answer.parts)).toContain('You attached dot.png (image/png).');
    const headers = { authorization: `Bearer ${TOKEN}` };
    // The chat's title may already be the generated one: find it by its user message.
    const { chats } = (await (await fetch(`${url}/v1/chats?limit=200`, { headers })).json()) as {
      chats: Array<{ id: string }>;
    };
    const userMessages = await Promise.all(
      chats.map(async ({ id }) => {
        const page = await fetch(`${url}/v1/chats/${id}/messages`, { headers });
        const { messages } = (await page.json()) as {
          messages: Array<{ role: string; content: { parts: Array<{ text?: string }> } }>;
        };
        return messages.find((message) => message.role === 'user');
      }),
    );
    const sent = userMessages.find(
      (message) => message?.content.parts[0]?.text === 'Describe the attached picture',
    );
    expect(sent?.content.parts).toEqual([
      { type: 'text', text: 'Describe the attached picture' },
      { type: 'file', mediaType: 'image/png', url: image, filename: 'dot.png' },
    ]);
    // A file alone is a message too; a file at a javascript: URL is refused.
    const fileOnly = await send('client-chat-file-only', [
      { id: 'u1', role: 'user', parts: [{ type: 'file', mediaType: 'image/png', url: image }] },
    ]);
    expect(fileOnly.role).toBe('assistant');
    const refused = await fetch(`${url}/api/chat`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'client-chat-bad-file',
        messages: [
          {
            id: 'u1',
            role: 'user',
            parts: [{ type: 'file', mediaType: 'text/html', url: 'javascript:alert(1)' }],
          },
        ],
      }),
    });
    expect(refused.status).toBe(400);
  });

  it('a second message continues the same chatd chat; the server history is the truth', async () => {
    const first = await send('client-chat-2', [user('u1', 'first question')]);
    const second = await send('client-chat-2', [
      user('u1', 'first question'),
      first,
      user('u2', 'second question'),
    ]);
    expect(JSON.stringify(second.parts)).toContain('second question');
    const chats = await fetch(`${url}/v1/chats`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const { chats: list } = (await chats.json()) as { chats: Array<{ title: string }> };
    // One chatd chat per client chat id.
    expect(list.filter((chat) => chat.title.includes('first')).length).toBeLessThanOrEqual(1);
  });

  it('the same first message sent several times at once makes one chat, and every response streams its answer', async () => {
    const listChats = async () =>
      (
        (await (
          await fetch(`${url}/v1/chats?limit=200`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).json()) as { chats: Array<{ id: string }> }
      ).chats.map((chat) => chat.id);
    const before = await listChats();
    const message = [user('u1', 'sent twice at once')];
    // Several at once. The server may well take them one after another (then only the first
    // creates the chat); the race itself, two requests both finding the id unmapped, is the
    // conflict path that routes/client-chats.test.ts drives directly.
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => send('client-chat-twice', message)),
    );
    for (const answer of answers) {
      expect(JSON.stringify(answer.parts)).toContain('sent twice at once');
    }
    const created = (await listChats()).filter((id) => !before.includes(id));
    expect(created).toHaveLength(1);
  });

  it('a tool call and its result arrive as a tool part in the same assistant message, then the answer', async () => {
    const answer = await send('client-chat-3', [user('u1', 'roll a dice please')]);
    const toolPart = answer.parts.find((part) => part.type === 'tool-roll_dice');
    expect(toolPart).toMatchObject({ state: 'output-available', input: { sides: 6 } });
    expect(answer.parts.some((part) => part.type === 'text')).toBe(true);
  });

  it('a message sent while the chat is busy waits in the queue and streams its own answer when its turn comes', async () => {
    const transportOfTab = transport();
    // One tab starts a turn and keeps reading it; another sends while it runs.
    const first = transportOfTab.sendMessages({
      chatId: 'client-chat-busy',
      messages: [user('u1', 'first question, answered slowly')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });
    const firstAnswer = (async () => {
      let last: UIMessage | undefined;
      for await (const message of readUIMessageStream({ stream: await first })) last = message;
      return last as UIMessage;
    })();
    await first;
    const second = await send('client-chat-busy', [user('u2', 'second question, queued')]);
    expect(JSON.stringify(second.parts)).toContain('second question, queued');
    expect(JSON.stringify(second.parts)).not.toContain('answered slowly');
    expect(JSON.stringify((await firstAnswer).parts)).toContain('answered slowly');
    // Two turns, two assistant messages: the queued one is named after its own user message.
    expect(second.id).not.toBe((await firstAnswer).id);
    expect(second.id).toMatch(/^turn-\d+$/);
  });

  it('regenerate edits the last user message and streams a new answer', async () => {
    await send('client-chat-4', [user('u1', 'original')]);
    const regenerated = await send(
      'client-chat-4',
      [user('u1', 'rephrased')],
      'regenerate-message',
    );
    expect(JSON.stringify(regenerated.parts)).toContain('rephrased');
  });

  it('resume answers 204 when nothing is in flight, and refuses without a token', async () => {
    const resumed = await transport().reconnectToStream({ chatId: 'client-chat-1' });
    expect(resumed).toBeNull();
    // The longest client chat id the body takes (200 characters) resumes too, percent-encoded.
    const longId = `${'é'.repeat(100)}${'x'.repeat(100)}`;
    expect(await transport().reconnectToStream({ chatId: longId })).toBeNull();
    const anonymous = await fetch(`${url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', messages: [user('u1', 'hi')] }),
    });
    expect(anonymous.status).toBe(401);
  });
});

/** Reads UI message chunks up to the first text delta; returns the text read. */
async function readUntilText(reader: ReadableStreamDefaultReader<UIMessageChunk>): Promise<string> {
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    if (next.value.type === 'text-delta') return next.value.delta;
  }
  throw new Error('The stream ended before any text');
}

describe('useChat resume while a reply is streaming', () => {
  it('replays the in-flight assistant message from its start, complete', async () => {
    const started = await startHeldReplyServer();
    const release = started.holdReply();
    try {
      const { url } = started;
      const transport = new DefaultChatTransport<UIMessage>({
        api: `${url}/api/chat`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const controller = new AbortController();
      const first = await transport.sendMessages({
        chatId: 'resumed',
        messages: [
          { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'a long answer please' }] },
        ],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: controller.signal,
      });
      // Read the reply's first piece, then drop the connection (a page reload): the turn goes on.
      const reader = first.getReader();
      await readUntilText(reader);
      controller.abort();
      await reader.cancel().catch(() => {});

      const resumed = await transport.reconnectToStream({ chatId: 'resumed' });
      expect(resumed).not.toBeNull();
      release();
      let last: UIMessage | undefined;
      for await (const message of readUIMessageStream({ stream: resumed as ReadableStream }))
        last = message;
      const text = last?.parts.find((part) => part.type === 'text') as { text: string } | undefined;
      expect(text?.text).toBe(HELD_REPLY.join(''));
      expect(started.provider.requests).toHaveLength(1);
    } finally {
      release();
      await started.close();
    }
  });
});

describe("stopping a useChat turn by the client's chat id", () => {
  it('interrupts the turn and keeps what it produced; 409 once nothing runs, 404 for an unknown id', async () => {
    const started = await startHeldReplyServer();
    const release = started.holdReply();
    try {
      const { url } = started;
      const headers = { authorization: `Bearer ${TOKEN}` };
      const transport = new DefaultChatTransport<UIMessage>({ api: `${url}/api/chat`, headers });
      const stream = await transport.sendMessages({
        chatId: 'stopped',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'a long answer' }] }],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      });
      const reader = stream.getReader();
      let text = await readUntilText(reader);
      const interrupted = await fetch(`${url}/api/chat/stopped/interrupt`, {
        method: 'POST',
        headers,
      });
      expect(interrupted.status).toBe(202);
      const chat = (await interrupted.json()) as { id: string; status: string };
      expect(['interrupting', 'waiting']).toContain(chat.status);
      // The page's stream ends with the turn, short of the whole answer.
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        if (next.value.type === 'text-delta') text += next.value.delta;
      }
      expect(text).toBe(HELD_REPLY[0]);

      const { messages } = (await (
        await fetch(`${url}/v1/chats/${chat.id}/messages`, { headers })
      ).json()) as { messages: { role: string; content: { parts: { text?: string }[] } }[] };
      const kept = messages.find((message) => message.role === 'assistant');
      expect(kept?.content.parts[0]?.text).toBe(HELD_REPLY[0]);

      const again = await fetch(`${url}/api/chat/stopped/interrupt`, { method: 'POST', headers });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe(
        'TRANSITION_NOT_ALLOWED',
      );
      const unknown = await fetch(`${url}/api/chat/never-used/interrupt`, {
        method: 'POST',
        headers,
      });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
        'CHAT_NOT_FOUND',
      );
    } finally {
      release();
      await started.close();
    }
  });
});

describe('a useChat stream as an open stream of the server', () => {
  let started: HeldReplyServer;

  beforeAll(async () => {
    // A held reply, so the stream is still open when the test looks.
    started = await startHeldReplyServer();
  });
  afterAll(async () => {
    await started?.close();
  });

  const openStreams = async () => {
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    return Number(/^chatd_open_streams (\d+)$/m.exec(metrics)?.[1]);
  };

  it('counts in chatd_open_streams while it runs and is released when the client goes away', async () => {
    const release = started.holdReply();
    onTestFinished(release);
    const client = new AbortController();
    const response = await fetch(`${started.url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'client-leaves',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'a long answer' }] }],
      }),
      signal: client.signal,
    });
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(await openStreams()).toBe(1);
    client.abort();
    await expect.poll(openStreams, { timeout: 5000 }).toBe(0);
  });
});

describe('a useChat response streams one turn, to its end', () => {
  let started: HeldReplyServer;
  const headers = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    started = await startHeldReplyServer();
  });
  afterAll(async () => {
    await started?.close();
  });

  const transport = () =>
    new DefaultChatTransport<UIMessage>({ api: `${started.url}/api/chat`, headers });

  const sendText = (chatId: string, text: string) =>
    transport().sendMessages({
      chatId,
      messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text }] }],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });

  /** Every chunk of a stream, to its end. */
  async function chunksOf(stream: ReadableStream<UIMessageChunk>): Promise<UIMessageChunk[]> {
    const chunks: UIMessageChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  /** The assistant message the AI SDK builds from `chunks`. */
  async function messageOf(chunks: UIMessageChunk[]): Promise<UIMessage> {
    const stream = new ReadableStream<UIMessageChunk>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream, terminateOnError: true }))
      last = message;
    return last as UIMessage;
  }

  const textOf = (message: UIMessage) =>
    message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

  const chatIdOf = async (title: string) => {
    const { chats } = (await (
      await fetch(`${started.url}/v1/chats?limit=200`, { headers })
    ).json()) as { chats: Array<{ id: string; title: string }> };
    return chats.find((chat) => chat.title.includes(title))?.id as string;
  };

  it('ends with its own turn when a second useChat request queued a message behind it', async () => {
    const release = started.holdReply();
    onTestFinished(release);
    started.provider.reply({ kind: 'text', text: 'The queued question, answered.' });
    const [first, firstRest] = (await sendText('one-turn-api', 'First question')).tee();
    const reader = first.getReader();
    await readUntilText(reader);
    reader.releaseLock();
    const firstChunks = chunksOf(firstRest);
    // Sent while the first turn streams: queued, answered by the next turn.
    const second = chunksOf(await sendText('one-turn-api', 'Second question'));
    release();
    const firstAnswer = await messageOf(await firstChunks);
    expect(textOf(firstAnswer)).toBe(HELD_REPLY.join(''));
    expect((await firstChunks).filter((chunk) => chunk.type === 'finish')).toHaveLength(1);
    const secondAnswer = await messageOf(await second);
    expect(textOf(secondAnswer)).toBe('The queued question, answered.');
    expect(secondAnswer.id).not.toBe(firstAnswer.id);
  });

  it('ends with its own turn when a /v1 client queued a message behind it', async () => {
    const release = started.holdReply();
    onTestFinished(release);
    started.provider.reply({ kind: 'text', text: 'The /v1 question, answered.' });
    const stream = await sendText('one-turn-v1', 'Question from a useChat page');
    const [head, rest] = stream.tee();
    const reader = head.getReader();
    await readUntilText(reader);
    reader.releaseLock();
    const chunks = chunksOf(rest);
    const chatId = await chatIdOf('Question from a useChat page');
    const queued = await fetch(`${started.url}/v1/chats/${chatId}/messages`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Question from /v1', busy: 'queue' }),
    });
    expect(((await queued.json()) as { queued: boolean }).queued).toBe(true);
    release();
    const answer = await messageOf(await chunks);
    expect(textOf(answer)).toBe(HELD_REPLY.join(''));
    expect(JSON.stringify(await chunks)).not.toContain('/v1 question');
  });

  it('closes the open text part before abort and finish when the turn is interrupted', async () => {
    const release = started.holdReply();
    onTestFinished(release);
    const [head, rest] = (await sendText('closed-on-stop', 'Interrupt me')).tee();
    const reader = head.getReader();
    await readUntilText(reader);
    reader.releaseLock();
    const chunks = chunksOf(rest);
    const stopped = await fetch(`${started.url}/api/chat/closed-on-stop/interrupt`, {
      method: 'POST',
      headers,
    });
    expect(stopped.status).toBe(202);
    const types = (await chunks).map((chunk) => chunk.type);
    // The protocol's order: the part ends, then its step, then the message (aborted).
    expect(types.slice(-4)).toEqual(['text-end', 'finish-step', 'abort', 'finish']);
    const answer = await messageOf(await chunks);
    expect(answer.parts.find((part) => part.type === 'text')).toEqual({
      type: 'text',
      text: HELD_REPLY[0],
      state: 'done',
    });
  });
});

describe('a useChat stream of a server that shuts down', () => {
  it('ends with an error chunk, not as a finished reply, so the page can resume', async () => {
    const started = await startHeldReplyServer();
    const release = started.holdReply();
    try {
      const transport = new DefaultChatTransport<UIMessage>({
        api: `${started.url}/api/chat`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const stream = await transport.sendMessages({
        chatId: 'cut-off',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'a long answer' }] }],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      });
      const [head, rest] = stream.tee();
      const reader = head.getReader();
      await readUntilText(reader);
      reader.releaseLock();
      const chunks: UIMessageChunk[] = [];
      const read = (async () => {
        for await (const chunk of rest) chunks.push(chunk);
      })();
      // A graceful close (SIGTERM) while the reply is held mid-stream.
      const closed = started.server.close();
      await read;
      expect(chunks.at(-1)).toMatchObject({
        type: 'error',
        errorText: expect.stringContaining('Resume the stream'),
      });
      expect(chunks.some((chunk) => chunk.type === 'finish')).toBe(false);
      // The AI SDK reports the stream as failed: useChat goes to `error`, not `ready`.
      const again = new ReadableStream<UIMessageChunk>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
      await expect(
        (async () => {
          for await (const _ of readUIMessageStream({ stream: again, terminateOnError: true }));
        })(),
      ).rejects.toThrow('Resume the stream');
      release();
      await closed;
    } finally {
      release();
      await started.close();
    }
  });
});
