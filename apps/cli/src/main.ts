import { Command } from 'commander';
import { runInteractiveChat } from './chat-app.js';
import {
  archive,
  listChats,
  listModels,
  loggedInClient,
  login,
  newChat,
  send,
  stdout,
} from './commands.js';
import { loadConfig } from './config.js';
import { describeError } from './errors.js';
import { runPlainChat } from './plain-chat.js';

/** Runs a command; any failure is one line on stderr and exit code 1. */
function action<Args extends unknown[]>(run: (...args: Args) => Promise<void>) {
  return async (...args: Args) => {
    try {
      await run(...args);
    } catch (error) {
      const { url } = await loadConfig();
      process.stderr.write(`chatd: ${describeError(error, url)}\n`);
      process.exitCode = 1;
    }
  };
}

const program = new Command('chatd').description('chatd in the terminal').showHelpAfterError();

program
  .command('login')
  .description('check a token against a server and save both (mode 0600)')
  .option('--url <url>', 'the server, e.g. http://127.0.0.1:8787')
  .option('--token <token>', 'an API token (the server prints the first one)')
  .action(action((options: { url?: string; token?: string }) => login(options, stdout)));

program
  .command('chats')
  .description('list your chats, most recent first')
  .option('--archived', 'archived chats only')
  .option('--json', 'print JSON')
  .action(action((options: { archived?: boolean; json?: boolean }) => listChats(options, stdout)));

program
  .command('new')
  .description('start a chat; with a message, print the answer, else chat interactively')
  .argument('[message]', 'the first message')
  .option('--model <id>', 'a model configuration (see `chatd models`)')
  .option('--json', 'print the events as NDJSON')
  .action(
    action(async (message: string | undefined, options: { model?: string; json?: boolean }) => {
      if (message !== undefined) return newChat(message, options, stdout);
      const { client, url } = await loggedInClient();
      return process.stdout.isTTY
        ? runInteractiveChat(client, url, undefined)
        : runPlainChat(client, url, undefined, false);
    }),
  );

program
  .command('models')
  .description('list the model configurations')
  .action(action(() => listModels(stdout)));

program
  .command('archive')
  .description('archive a chat')
  .argument('<id>', 'the chat')
  .action(action((chatId: string) => archive(chatId, stdout)));

program
  .command('send')
  .description('send a message (for scripts)')
  .argument('<id>', 'the chat')
  .argument('<text>', 'the message')
  .option('--interrupt', 'stop the current reply and answer this instead')
  .option('--wait', 'wait for the answer and print it (exit code 1 if the turn fails)')
  .option('--json', 'print JSON (NDJSON events with --wait)')
  .action(
    action(
      (
        chatId: string,
        text: string,
        options: { interrupt?: boolean; wait?: boolean; json?: boolean },
      ) => send(chatId, text, options, stdout),
    ),
  );

program
  .command('chat')
  .description('chat interactively (a new chat when no id)')
  .argument('[id]', 'the chat')
  .option('--json', 'print the events as NDJSON (when stdout is not a terminal)')
  .action(
    action(async (chatId: string | undefined, options: { json?: boolean }) => {
      const { client, url } = await loggedInClient();
      if (chatId !== undefined) await client.chats.get(chatId); // a clear "no such chat" first
      if (process.stdout.isTTY && options.json !== true)
        return runInteractiveChat(client, url, chatId);
      return runPlainChat(client, url, chatId, options.json === true);
    }),
  );

await program.parseAsync();
// Streams and keep-alive sockets of an ended session must not hold the terminal.
process.exit(process.exitCode ?? 0);
