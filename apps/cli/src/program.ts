import { createRequire } from 'node:module';
import { Command, InvalidArgumentError } from 'commander';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { runInteractiveChat } from './chat-app.js';
import { type ClientTool, clientTool } from './client-tools.js';
import {
  archive,
  checkNewChat,
  deleteChat,
  listChats,
  listModels,
  loggedInClient,
  login,
  newChat,
  send,
  stdout,
  unarchive,
} from './commands.js';
import { loadConfig } from './config.js';
import { CliError, describeError } from './errors.js';
import { runPlainChat } from './plain-chat.js';

/** Runs a command; any failure is one line on stderr and exit code 1. */
function action<Args extends unknown[]>(run: (...args: Args) => Promise<void>) {
  return async (...args: Args) => {
    try {
      await run(...args);
    } catch (error) {
      const { url } = await loadConfig(process.env, { ignoreBadFile: true });
      process.stderr.write(`chatd: ${describeError(error, url)}\n`);
      process.exitCode = 1;
    }
  };
}

/** Collects each `--client-tool <name>` into the tool it declares. */
function collectTool(name: string, tools: ClientTool[] = []): ClientTool[] {
  try {
    return [...tools, clientTool(name)];
  } catch (error) {
    // Commander prints this kind as one line and exits 1; any other error would be a crash.
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Whether to chat interactively: a person at a terminal, reading (stdout) and typing (stdin).
 * Anything else (stdout or stdin piped, `--json`) gets plain lines.
 */
function interactive(json: boolean | undefined): boolean {
  return process.stdout.isTTY === true && process.stdin.isTTY === true && json !== true;
}

const CLIENT_TOOL_HELP =
  'declare a client tool the model may call (it asks you a question; you answer it here); repeatable';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('chatd')
  .description('chatd in the terminal')
  .version(version, '-v, --version', 'print the version')
  .showHelpAfterError();

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
  .option('--client-tool <name>', CLIENT_TOOL_HELP, collectTool)
  .option('--json', 'print the events as NDJSON')
  .action(
    action(
      async (
        message: string | undefined,
        options: { model?: string; json?: boolean; clientTool?: ClientTool[] },
      ) => {
        const clientTools = options.clientTool ?? [];
        if (message !== undefined) return newChat(message, { ...options, clientTools }, stdout);
        const { client, url } = await loggedInClient();
        await checkNewChat(client, options.model);
        return interactive(options.json)
          ? runInteractiveChat(client, url, { model: options.model, clientTools })
          : runPlainChat(client, url, {
              json: options.json === true,
              model: options.model,
              clientTools,
            });
      },
    ),
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
  .command('unarchive')
  .description('unarchive a chat')
  .argument('<id>', 'the chat')
  .action(action((chatId: string) => unarchive(chatId, stdout)));

program
  .command('delete')
  .description('delete a chat with its messages and sub-chats, for good')
  .argument('<id>', 'the chat')
  .action(action((chatId: string) => deleteChat(chatId, stdout)));

program
  .command('send')
  .description('send a message (for scripts)')
  .argument('<id>', 'the chat')
  .argument('<text>', 'the message')
  .option('--interrupt', 'stop the current reply and answer this instead')
  .option('--wait', 'wait for the answer and print it (exit code 1 without an answer)')
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
  .option('--model <id>', 'for a new chat: a model configuration (see `chatd models`)')
  .option('--client-tool <name>', `for a new chat: ${CLIENT_TOOL_HELP}`, collectTool)
  .option('--json', 'print the events as NDJSON (when stdout is not a terminal)')
  .action(
    action(
      async (
        chatId: string | undefined,
        options: { json?: boolean; model?: string; clientTool?: ClientTool[] },
      ) => {
        const clientTools = options.clientTool ?? [];
        if (chatId !== undefined && (clientTools.length > 0 || options.model !== undefined)) {
          throw new CliError(
            '--model and --client-tool are for a new chat: leave out the chat id (a chat declares its client tools when it starts)',
          );
        }
        const { client, url } = await loggedInClient();
        // A clear "no such chat" or refused token before anything is drawn or read.
        const chat = chatId === undefined ? undefined : await client.chats.get(chatId);
        if (chatId === undefined) await checkNewChat(client, options.model);
        if (interactive(options.json))
          return runInteractiveChat(client, url, { chat, model: options.model, clientTools });
        return runPlainChat(client, url, {
          chatId,
          json: options.json === true,
          model: options.model,
          clientTools,
        });
      },
    ),
  );

/** Runs the command line; exits when the command is done. */
export async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  await program.parseAsync();
  // Streams and keep-alive sockets of an ended session must not hold the terminal.
  process.exit(process.exitCode ?? 0);
}
