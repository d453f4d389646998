import { type ChatdClient, ChatView, type PreviewPart } from '@chatd/client';
import type { ChatMessage } from '@chatd/core';
import { Box, render, Text, useApp, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { describeError } from './errors.js';
import { messageLines, oneLine, roleLabel } from './render.js';

interface Props {
  client: ChatdClient;
  url: string;
  initialChatId: string | undefined;
}

const HISTORY_SHOWN = 30;

function Message({ message }: { message: ChatMessage }) {
  const lines = messageLines(message);
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text bold color={message.role === 'user' ? 'cyan' : 'green'}>
        {roleLabel(message.role)}
      </Text>
      {lines.map((line, index) => (
        <Text
          key={String(index)}
          dimColor={line.startsWith('→') || line.startsWith('←') || line.startsWith('(thinking)')}
        >
          {line}
        </Text>
      ))}
    </Box>
  );
}

function Preview({ parts }: { parts: readonly PreviewPart[] }) {
  if (parts.length === 0) return null;
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text bold color="green">
        assistant
      </Text>
      {parts.map((part) =>
        part.type === 'tool' ? (
          <Text key={part.toolCallId} dimColor>
            {`→ ${part.toolName}(${oneLine(part.input ?? part.inputText)})`}
            {part.state === 'output-available' ? `  ← ${oneLine(part.output)}` : ''}
            {part.state === 'output-error' ? `  ✗ ${part.errorText ?? ''}` : ''}
          </Text>
        ) : (
          <Text key={`${part.type}-${part.id}`} dimColor={part.type === 'reasoning'}>
            {part.text}
          </Text>
        ),
      )}
    </Box>
  );
}

function statusLine(view: ChatView, chatId: string | undefined, now: number): string {
  if (chatId === undefined) return 'new chat: type a message and press Enter';
  const pieces: string[] = [view.status ?? '…'];
  if (view.retry !== undefined) {
    const seconds = Math.max(0, Math.ceil((Date.parse(view.retry.retryAt) - now) / 1000));
    pieces.push(
      `retrying in ${seconds} s (attempt ${view.retry.attempt}): ${view.retry.error.message}`,
    );
  }
  if (view.queue.length > 0) pieces.push(`${view.queue.length} queued`);
  if (view.connection.state === 'reconnecting') pieces.push('reconnecting…');
  else if (view.connection.state === 'connecting') pieces.push('connecting…');
  return pieces.join(' · ');
}

function ChatApp({ client, url, initialChatId }: Props) {
  const { exit } = useApp();
  const view = useRef(new ChatView()).current;
  const [, setTick] = useState(0);
  const [chatId, setChatId] = useState(initialChatId);
  const [input, setInput] = useState('');
  const [notice, setNotice] = useState(
    'Enter sends (queued while busy) · !text interrupts with it · Esc interrupts · Ctrl-D exits',
  );
  const lastCtrlC = useRef(0);

  useEffect(() => {
    if (chatId === undefined) return;
    const stop = new AbortController();
    void (async () => {
      try {
        for await (const event of client.stream(chatId, { signal: stop.signal })) {
          view.apply(event);
          setTick((tick) => tick + 1);
        }
      } catch (error) {
        setNotice(describeError(error, url));
      }
    })();
    // Redraw each second for the retry countdown.
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => {
      stop.abort();
      clearInterval(timer);
    };
  }, [chatId, client, url, view]);

  const submit = async (raw: string) => {
    const interrupt = raw.startsWith('!');
    const text = (interrupt ? raw.slice(1) : raw).trim();
    if (text === '') return;
    try {
      if (chatId === undefined) {
        const chat = await client.chats.create({ content: text });
        setChatId(chat.id);
        setNotice(`chat ${chat.id}`);
        return;
      }
      const result = await client.messages.send(chatId, {
        content: text,
        busy: interrupt ? 'interrupt' : 'queue',
      });
      setNotice(
        result.queued
          ? 'queued: it runs when the current reply is done'
          : interrupt
            ? 'interrupting'
            : '',
      );
    } catch (error) {
      setNotice(describeError(error, url));
    }
  };

  useInput((character, key) => {
    if (key.ctrl && character === 'd') return exit();
    if (key.ctrl && character === 'c') {
      if (Date.now() - lastCtrlC.current < 2000) return exit();
      lastCtrlC.current = Date.now();
      setNotice('press Ctrl-C again to exit');
      return;
    }
    if (key.escape) {
      if (chatId !== undefined) {
        client.actions.interrupt(chatId).then(
          () => setNotice('interrupted'),
          () => setNotice('nothing to interrupt'),
        );
      }
      return;
    }
    // Pasted or fast-typed text arrives with its Enter in one chunk.
    const enter = character.search(/[\r\n]/);
    if (key.return || enter !== -1) {
      const text = input + (enter === -1 ? '' : character.slice(0, enter));
      setInput('');
      void submit(text);
      return;
    }
    if (key.backspace || key.delete) {
      setInput((current) => current.slice(0, -1));
      return;
    }
    if (!key.ctrl && !key.meta && character !== '') setInput((current) => current + character);
  });

  const messages = view.messages.slice(-HISTORY_SHOWN);
  return (
    <Box flexDirection="column">
      {messages.map((message) => (
        <Message key={`${message.id}-${message.revision ?? 0}`} message={message} />
      ))}
      <Preview parts={view.preview} />
      {view.status === 'requires-action' ? (
        <Text color="yellow">{`waiting for client tools: ${view.pendingToolCalls.map((call) => `${call.toolName}(${oneLine(call.input)})`).join(', ')}`}</Text>
      ) : null}
      {view.status === 'error' && view.error !== undefined ? (
        <Text color="red">{`error: ${view.error.message}`}</Text>
      ) : null}
      <Text dimColor>{`── ${statusLine(view, chatId, Date.now())}`}</Text>
      {notice === '' ? null : <Text dimColor>{notice}</Text>}
      <Text>
        <Text color="cyan">{'> '}</Text>
        {input}
        <Text inverse> </Text>
      </Text>
    </Box>
  );
}

/** The interactive chat (a TTY): resolves when the user exits. */
export async function runInteractiveChat(
  client: ChatdClient,
  url: string,
  chatId: string | undefined,
) {
  const app = render(<ChatApp client={client} url={url} initialChatId={chatId} />, {
    exitOnCtrlC: false,
  });
  await app.waitUntilExit();
}
