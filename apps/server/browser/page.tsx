/*
 * A `useChat` page as an app would write it against chatd, in one of two ways:
 * - stock: the AI SDK's own `DefaultChatTransport` on `/api/chat`; the only chatd-specific
 *   things are the URL and the bearer token;
 * - `transport=chatd`: `@chatd/client`'s `ChatdChatTransport` on the `/v1` API, whose streams
 *   reconnect by themselves. Its chat is named by chatd's id, kept in the page's URL, so a
 *   reload reaches the same chat.
 * Stop ends the page's stream (`stop()`) and the turn itself: `stop()` alone leaves the turn
 * running on the server.
 * The browser test serves it from another origin than the server's (so CORS is exercised) and
 * reads it the way a person would. URL parameters: `server` (the chatd server's origin),
 * `token`, `chat` (the chat's id), `transport`.
 */
import { useChat } from '@ai-sdk/react';
import { createClient } from '@chatd/client';
import { ChatdChatTransport } from '@chatd/client/use-chat';
import { type ChatTransport, DefaultChatTransport, type UIMessage } from 'ai';
import { type FormEvent, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';

const params = new URLSearchParams(location.search);
const server = params.get('server') ?? '';
const token = params.get('token') ?? '';
const chatId = params.get('chat') ?? 'browser-chat';

const onChatd = params.get('transport') === 'chatd';
const client = createClient({ baseUrl: server, token });

const transport: ChatTransport<UIMessage> = onChatd
  ? new ChatdChatTransport({
      client,
      onChatCreated: (_useChatId, chat) => {
        params.set('chat', chat.id);
        history.replaceState(null, '', `?${params}`);
      },
    })
  : new DefaultChatTransport({
      api: `${server}/api/chat`,
      headers: { authorization: `Bearer ${token}` },
    });

/** Stops the chat's turn on the server, named by chatd's id or by the page's own. */
async function interruptTurn(): Promise<void> {
  if (onChatd) {
    await client.actions.interrupt(params.get('chat') ?? chatId);
    return;
  }
  await fetch(`${server}/api/chat/${encodeURIComponent(chatId)}/interrupt`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
}

function Part({ part }: { part: UIMessage['parts'][number] }) {
  if (part.type === 'text') return <p className="text">{part.text}</p>;
  if (part.type === 'file')
    return <p className="file">attached: {part.filename ?? part.mediaType}</p>;
  if (part.type.startsWith('tool-') || part.type === 'dynamic-tool') {
    const tool = part as { type: string; state: string; input?: unknown; output?: unknown };
    return (
      <pre className="tool" data-state={tool.state}>
        {tool.type}: {JSON.stringify(tool.input)} → {JSON.stringify(tool.output ?? null)}
      </pre>
    );
  }
  return null;
}

function App() {
  const { messages, sendMessage, regenerate, stop, status, error } = useChat({
    id: chatId,
    transport,
    resume: true,
  });
  const [input, setInput] = useState('');
  const [files, setFiles] = useState<FileList | undefined>();
  const fileInput = useRef<HTMLInputElement>(null);
  // Every status the page went through, for the tests: a brief one (a resumed reply that ends a
  // moment later) is in the history even when a test looks after it has passed.
  const statusHistory = useRef<string[]>([]);
  if (statusHistory.current.at(-1) !== status) statusHistory.current.push(status);
  const busy = status === 'submitted' || status === 'streaming';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (input.trim() === '') return;
    void sendMessage({ text: input, ...(files === undefined ? {} : { files }) });
    setInput('');
    setFiles(undefined);
    if (fileInput.current !== null) fileInput.current.value = '';
  };
  return (
    <main>
      <h1>useChat against chatd</h1>
      <p id="status" data-history={statusHistory.current.join(' ')}>
        {status}
      </p>
      {error && <p id="error">{error.message}</p>}
      <ol id="messages">
        {messages.map((message) => (
          <li key={message.id} data-role={message.role}>
            <b>{message.role}</b>
            {message.parts.map((part, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts have no id of their own
              <Part key={index} part={part} />
            ))}
          </li>
        ))}
      </ol>
      <form onSubmit={submit}>
        <input
          id="prompt"
          value={input}
          onChange={(event) => setInput(event.target.value)}
          placeholder="Say something"
        />
        <input
          id="files"
          type="file"
          multiple
          ref={fileInput}
          onChange={(event) => setFiles(event.target.files ?? undefined)}
        />
        <button type="submit" disabled={busy}>
          Send
        </button>
        <button
          id="stop"
          type="button"
          disabled={!busy}
          onClick={() => {
            void stop();
            void interruptTurn();
          }}
        >
          Stop
        </button>
        <button
          id="regenerate"
          type="button"
          disabled={busy || messages.length === 0}
          onClick={() => void regenerate()}
        >
          Regenerate
        </button>
      </form>
    </main>
  );
}

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(<App />);
}
