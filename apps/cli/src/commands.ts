import { type ChatdClient, ChatView, type ClientStreamEvent, createClient } from '@chatd/client';
import type { ChatMessage } from '@chatd/core';
import { type ClientTool, chatOptions } from './client-tools.js';
import { checkServerUrl, loadConfig, saveConfig } from './config.js';
import { CliError } from './errors.js';
import { errorText, messageLines, roleLabel } from './render.js';
import { jsonLine, safeLine } from './terminal-text.js';

/** Where output goes (tests and the interactive mode pass their own). */
export interface Output {
  line(text: string): void;
}

export const stdout: Output = { line: (text) => process.stdout.write(`${text}\n`) };

/** The client of the saved login (or `CHATD_URL` / `CHATD_TOKEN`). */
export async function loggedInClient(): Promise<{ client: ChatdClient; url: string }> {
  const { url, token } = await loadConfig();
  if (url === undefined || token === undefined) {
    throw new CliError('not logged in: run `chatd login --url <server url> --token <token>`');
  }
  checkServerUrl(url, process.env.CHATD_URL === undefined ? 'the saved url' : 'CHATD_URL');
  return { client: createClient({ baseUrl: url, token }), url };
}

/**
 * Checks the token, and the model a new chat asks for when there is one, so that a refused
 * token or a mistyped `--model` is one line before anything is drawn or typed (not an error
 * after the first message).
 */
export async function checkNewChat(client: ChatdClient, model: string | undefined): Promise<void> {
  if (model === undefined) {
    await client.me();
    return;
  }
  const { models } = await client.models.list();
  if (!models.some((each) => each.id === model)) {
    throw new CliError(`Unknown model configuration "${model}": see \`chatd models\``);
  }
}

export async function login(
  options: { url?: string; token?: string },
  output: Output,
): Promise<void> {
  // A saved login that cannot be used is what this replaces.
  const saved = await loadConfig(process.env, { ignoreBadFile: true });
  const url = options.url ?? saved.url ?? 'http://127.0.0.1:8787';
  checkServerUrl(url, options.url === undefined ? 'the saved url' : '--url');
  const token = options.token ?? saved.token;
  if (token === undefined)
    throw new CliError('give the token printed by the server: `chatd login --token <token>`');
  const user = await createClient({ baseUrl: url, token }).me();
  const path = await saveConfig({ url, token });
  output.line(
    safeLine(
      `logged in to ${url} as ${user.name}${user.isAdmin ? ' (admin)' : ''}; saved to ${path}`,
    ),
  );
}

export async function listChats(options: { archived?: boolean; json?: boolean }, output: Output) {
  const { client } = await loggedInClient();
  const { chats } = await client.chats.list({ archived: options.archived === true, limit: 100 });
  if (options.json === true) {
    output.line(jsonLine(chats));
    return;
  }
  if (chats.length === 0) {
    output.line(
      options.archived === true ? 'no archived chats' : 'no chats yet: start one with `chatd chat`',
    );
  }
  // One line per chat, whatever its title holds: scripts read the list line by line.
  for (const chat of chats)
    output.line(safeLine(`${chat.id}  ${chat.status.padEnd(15)} ${chat.title}`));
}

export async function listModels(output: Output) {
  const { client } = await loggedInClient();
  for (const model of (await client.models.list()).models) {
    output.line(
      safeLine(`${model.id.padEnd(30)} ${model.label}${model.default ? '  (default)' : ''}`),
    );
  }
}

export async function archive(chatId: string, output: Output) {
  const { client } = await loggedInClient();
  await client.chats.update(chatId, { archived: true });
  output.line(`archived ${chatId}`);
}

export async function unarchive(chatId: string, output: Output) {
  const { client } = await loggedInClient();
  await client.chats.update(chatId, { archived: false });
  output.line(`unarchived ${chatId}`);
}

export async function deleteChat(chatId: string, output: Output) {
  const { client } = await loggedInClient();
  await client.chats.delete(chatId);
  output.line(`deleted ${chatId}`);
}

/** The user message a `--wait` follows: committed, or still in the queue. */
export type AwaitedMessage =
  | { messageId: number }
  | {
      /** The queue entry (`queuedMessage.id` of the send). */
      queuedId: number | undefined;
      /** What was sent, to recognise the user message it becomes. */
      text: string;
      /** The newest committed message before it was sent. */
      afterMessageId: number;
    };

/** How a followed turn ended: a chat status, or `no-answer` (it ended with nothing said). */
export type TurnOutcome = 'waiting' | 'error' | 'requires-action' | 'no-answer';

/** Said when the turn ended while the message sent was still queued. */
const WAITS_IN_QUEUE = 'your message waits in the queue';

/**
 * Exit code 1 unless the turn answered: a script reads the answer from stdout, and a failed
 * turn, one ended without an answer and one waiting for a client tool all leave it without.
 */
function setExitCode(outcome: TurnOutcome): void {
  if (outcome !== 'waiting') process.exitCode = 1;
}

function textOf(message: ChatMessage): string {
  return message.content.parts
    .flatMap((part) => (part.type === 'text' ? [(part as { text: string }).text] : []))
    .join('\n');
}

/**
 * Streams `chatId` until the turn that answers `awaited` is over, however it ends: answered,
 * failed (the reason is printed), interrupted or ended before any answer (said so), or
 * waiting for a client tool (said so, and that the message waits in the queue when it was
 * queued behind the tool call; the turn goes on in `chatd chat`). Prints each committed
 * answer of that turn (or the events as NDJSON), nothing of a turn before it.
 */
export async function waitForAnswer(
  client: ChatdClient,
  chatId: string,
  awaited: AwaitedMessage,
  { json, output }: { json: boolean; output: Output },
): Promise<TurnOutcome> {
  const view = new ChatView();
  const stop = new AbortController();
  const printed = new Set<number>();
  const after = 'messageId' in awaited ? awaited.messageId : awaited.afterMessageId;
  /** The user message the turn answers, once committed. */
  let mine = 'messageId' in awaited ? awaited.messageId : undefined;
  /** NDJSON `message` events not printed yet because the message was not known to be ours. */
  const heldMessages = new Map<number, ClientStreamEvent>();
  let interrupted = false;
  /** The status just became `error`: its reason comes in the next event. */
  let reasonDue = false;
  let outcome: TurnOutcome = 'waiting';
  const finish = (result: TurnOutcome, ...lines: string[]) => {
    outcome = result;
    if (!json) for (const line of lines) output.line(line);
    stop.abort();
  };
  /** Our queued message has left the queue: the user message it became. */
  const committedMine = (): number | undefined => {
    if ('messageId' in awaited) return awaited.messageId;
    const candidates = view.messages.filter(
      (message) => message.role === 'user' && message.id > after,
    );
    const same = candidates.find((message) => textOf(message) === awaited.text);
    if (awaited.queuedId === undefined) return same?.id;
    if (view.queue.some((queued) => queued.id === awaited.queuedId)) return undefined;
    return (same ?? candidates.at(-1))?.id;
  };

  for await (const event of client.stream(chatId, { afterMessageId: after, signal: stop.signal })) {
    if (stop.signal.aborted) break;
    view.apply(event);
    if (event.type === 'connection') continue;
    if (view.status === 'interrupting') interrupted = true;
    if (mine === undefined && (event.type === 'message' || event.type === 'queue-update')) {
      mine = committedMine();
      if (mine !== undefined && json) {
        for (const [id, held] of [...heldMessages].sort(([a], [b]) => a - b))
          if (id >= mine) output.line(jsonLine(held));
        heldMessages.clear();
      }
    }
    if (json) {
      // Before our message is committed, what streams belongs to the turns before it.
      if (mine !== undefined) output.line(jsonLine(event));
      else if (event.type === 'message') heldMessages.set(event.message.id, event);
      else if (event.type !== 'message-part' && event.type !== 'preview-reset')
        output.line(jsonLine(event));
    }
    // The next user message after ours: our turn is over, that one's has started.
    const next =
      mine === undefined
        ? undefined
        : view.messages.find((message) => message.role === 'user' && message.id > (mine ?? 0));
    const ours = view.messages.filter(
      (message) =>
        mine !== undefined &&
        message.id > mine &&
        (next === undefined || message.id < next.id) &&
        message.role !== 'user',
    );
    if (!json) {
      for (const message of ours) {
        if (printed.has(message.id)) continue;
        printed.add(message.id);
        for (const line of messageLines(message)) output.line(line);
      }
    }

    if (reasonDue) {
      reasonDue = false;
      const error = event.type === 'error' ? event.error : view.error;
      const reason = error === undefined ? 'the turn failed' : errorText(error);
      if (mine === undefined) finish('error', `error: ${reason}`, WAITS_IN_QUEUE);
      else finish('error', `error: ${reason}`);
      continue;
    }
    const { status } = view;
    // A batch of messages ends with the status they lead to: decide after it.
    if (status === undefined || event.type === 'error') continue;
    if ((event.type === 'message' || event.type === 'history-reset') && next === undefined)
      continue;
    if (status === 'requires-action' && next === undefined) {
      const waits = `waiting for a client tool: answer it in \`chatd chat ${chatId}\``;
      // Queued behind the tool call, the message runs once the call is answered.
      if (mine === undefined) finish('requires-action', waits, WAITS_IN_QUEUE);
      else finish('requires-action', waits);
      continue;
    }
    if (status === 'error' && next === undefined) {
      // The status comes first, then the `error` event with the reason.
      if (event.type === 'status') reasonDue = true;
      else finish('error', 'error: the turn failed');
      continue;
    }
    if (mine === undefined) {
      if (status === 'waiting')
        finish('no-answer', 'the message left the queue without being answered');
      continue;
    }
    if (next === undefined && (status === 'running' || status === 'interrupting')) continue;
    if (ours.some((message) => message.role === 'assistant')) finish('waiting');
    else
      finish(
        'no-answer',
        `the turn ended without an answer${interrupted || next !== undefined ? ': it was interrupted' : ''}`,
      );
  }
  return outcome;
}

export async function newChat(
  message: string,
  options: { model?: string; json?: boolean; clientTools?: readonly ClientTool[] },
  output: Output,
) {
  const { client } = await loggedInClient();
  const chat = await client.chats.create({ content: message, ...chatOptions(options) });
  if (options.json !== true) output.line(safeLine(`chat ${chat.id}`));
  // The user's message, after the system prompt if the chat has one.
  const { messages } = await client.messages.list(chat.id, { afterId: 0, limit: 10 });
  const first = messages.find((each) => each.role === 'user') ?? messages[0];
  const outcome = await waitForAnswer(
    client,
    chat.id,
    { messageId: first?.id ?? 0 },
    { json: options.json === true, output },
  );
  setExitCode(outcome);
}

export async function send(
  chatId: string,
  text: string,
  options: { interrupt?: boolean; wait?: boolean; json?: boolean },
  output: Output,
) {
  const { client } = await loggedInClient();
  const interrupt = options.interrupt === true;
  // Where a queued message's turn starts looking: the newest message before it was sent.
  const newest =
    options.wait === true
      ? ((await client.messages.list(chatId, { limit: 1 })).messages[0]?.id ?? 0)
      : 0;
  const result = await client.messages.send(chatId, {
    content: text,
    busy: interrupt ? 'interrupt' : 'queue',
  });
  if (options.wait !== true) {
    if (options.json === true) output.line(jsonLine(result));
    // A busy chat queues an interrupt too, at the head, and stops the current reply.
    else output.line(!result.queued ? 'sent' : interrupt ? INTERRUPTING : 'queued');
    return;
  }
  const awaited: AwaitedMessage =
    result.message !== undefined
      ? { messageId: result.message.id }
      : { queuedId: result.queuedMessage?.id, text, afterMessageId: newest };
  const outcome = await waitForAnswer(client, chatId, awaited, {
    json: options.json === true,
    output,
  });
  setExitCode(outcome);
}

/** What an interrupt sent to a busy chat does. */
export const INTERRUPTING = 'interrupting: it is answered next';

/** The transcript as plain lines (the non-interactive view of `chatd chat`). */
export function transcriptLines(view: ChatView): string[] {
  return view.messages.flatMap((message) =>
    messageLines(message).map((line, index) =>
      index === 0 ? `${roleLabel(message.role)}: ${line}` : `  ${line}`,
    ),
  );
}
