import type { CreateChatRequest } from '@chatd/client';
import { CliError } from './errors.js';

/** A client tool a new chat declares (`dynamicTools` of `POST /v1/chats`). */
export type ClientTool = NonNullable<CreateChatRequest['dynamicTools']>[number];

/**
 * The tool `--client-tool <name>` declares: it asks the user a question, and the person at the
 * terminal answers it (the interactive chat, or the next line of stdin in plain mode).
 */
export function clientTool(name: string): ClientTool {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new CliError(
      `--client-tool: "${name}" is not a tool name (letters, digits, _ and -, at most 64)`,
    );
  }
  return {
    name,
    description: 'Asks the user a question',
    inputSchema: { type: 'object', properties: { question: { type: 'string' } } },
  };
}

/** The fields of a chat-creating request for a model and client tools, when given. */
export function chatOptions(options: {
  model?: string | undefined;
  clientTools?: readonly ClientTool[] | undefined;
}) {
  return {
    ...(options.model === undefined ? {} : { modelConfigId: options.model }),
    ...(options.clientTools === undefined || options.clientTools.length === 0
      ? {}
      : { dynamicTools: [...options.clientTools] }),
  };
}
