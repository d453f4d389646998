import { type ChatdClient, ChatView, type ClientStreamEvent, createClient } from '@chatd/client';
import { type ClientTool, chatOptions } from './client-tools.js';
import { loadConfig, saveConfig } from './config.js';
import { CliError } from './errors.js';
import { messageLines, roleLabel } from './render.js';

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
  return { client: createClient({ baseUrl: url, token }), url };
}

export async function login(
  options: { url?: string; token?: string },
  output: Output,
): Promise<void> {
  const saved = await loadConfig();
  const url = options.url ?? saved.url ?? 'http://127.0.0.1:8787';
  const token = options.token ?? saved.token;
  if (token === undefined)
    throw new CliError('give the token printed by the server: `chatd login --token <token>`');
  const user = await createClient({ baseUrl: url, token }).me();
  const path = await saveConfig({ url, token });
  output.line(
    `logged in to ${url} as ${user.name}${user.isAdmin ? ' (admin)' : ''}; saved to ${path}`,
  );
}

export async function listChats(options: { archived?: boolean; json?: boolean }, output: Output) {
  const { client } = await loggedInClient();
  const { chats } = await client.chats.list({ archived: options.archived === true, limit: 100 });
  if (options.json === true) {
    output.line(JSON.stringify(chats));
    return;
  }
  if (chats.length === 0) output.line('no chats yet: start one with `chatd chat`');
  for (const chat of chats) output.line(`${chat.id}  ${chat.status.padEnd(15)} ${chat.title}`);
}

export async function listModels(output: Output) {
  const { client } = await loggedInClient();
  for (const model of (await client.models.list()).models) {
    output.line(`${model.id.padEnd(30)} ${model.label}`);
  }
}

export async function archive(chatId: string, output: Output) {
  const { client } = await loggedInClient();
  await client.chats.update(chatId, { archived: true });
  output.line(`archived ${chatId}`);
}

export async function deleteChat(chatId: string, output: Output) {
  const { client } = await loggedInClient();
  await client.chats.delete(chatId);
  output.line(`deleted ${chatId}`);
}

/**
 * Streams `chatId` until the turn that answers `afterMessageId` is over; prints each committed
 * answer (or every event as NDJSON). Resolves with the final status.
 */
export async function waitForAnswer(
  client: ChatdClient,
  chatId: string,
  afterMessageId: number,
  { json, output }: { json: boolean; output: Output },
): Promise<string> {
  const view = new ChatView();
  const stop = new AbortController();
  const printed = new Set<number>();
  let final = 'waiting';
  const idle = () =>
    view.queue.length === 0 && view.status !== 'running' && view.status !== 'interrupting';
  for await (const event of client.stream(chatId, { afterMessageId, signal: stop.signal })) {
    view.apply(event as ClientStreamEvent);
    if (json && event.type !== 'connection') output.line(JSON.stringify(event));
    if (
      !json &&
      event.type === 'message' &&
      event.message.role !== 'user' &&
      !printed.has(event.message.id)
    ) {
      printed.add(event.message.id);
      for (const line of messageLines(event.message)) output.line(line);
    }
    const answered = view.messages.some(
      (message) => message.id > afterMessageId && message.role === 'assistant',
    );
    if (
      !stop.signal.aborted &&
      view.status !== undefined &&
      idle() &&
      (answered || view.status === 'error')
    ) {
      final = view.status;
      if (view.status === 'error' && !json)
        output.line(`error: ${view.error?.message ?? 'the turn failed'}`);
      if (view.status === 'requires-action' && !json)
        output.line(`waiting for a client tool: answer it in \`chatd chat ${chatId}\``);
      stop.abort();
    }
  }
  return final;
}

export async function newChat(
  message: string,
  options: { model?: string; json?: boolean; clientTools?: readonly ClientTool[] },
  output: Output,
) {
  const { client } = await loggedInClient();
  const chat = await client.chats.create({ content: message, ...chatOptions(options) });
  if (options.json !== true) output.line(`chat ${chat.id}`);
  const { messages } = await client.messages.list(chat.id, { afterId: 0, limit: 1 });
  const status = await waitForAnswer(client, chat.id, messages[0]?.id ?? 0, {
    json: options.json === true,
    output,
  });
  if (status === 'error') process.exitCode = 1;
}

export async function send(
  chatId: string,
  text: string,
  options: { interrupt?: boolean; wait?: boolean; json?: boolean },
  output: Output,
) {
  const { client } = await loggedInClient();
  const result = await client.messages.send(chatId, {
    content: text,
    busy: options.interrupt === true ? 'interrupt' : 'queue',
  });
  if (options.wait !== true) {
    if (options.json === true) output.line(JSON.stringify(result));
    else output.line(result.queued ? 'queued' : 'sent');
    return;
  }
  const after =
    result.message?.id ?? (await client.messages.list(chatId, { limit: 1 })).messages[0]?.id ?? 0;
  const status = await waitForAnswer(client, chatId, after, {
    json: options.json === true,
    output,
  });
  if (status === 'error') process.exitCode = 1;
}

/** The transcript as plain lines (the non-interactive view of `chatd chat`). */
export function transcriptLines(view: ChatView): string[] {
  return view.messages.flatMap((message) =>
    messageLines(message).map((line, index) =>
      index === 0 ? `${roleLabel(message.role)}: ${line}` : `  ${line}`,
    ),
  );
}
