import type { Logger } from '@chatd/core';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { type Tool as AiTool, dynamicTool, type JSONSchema7, jsonSchema } from 'ai';
import type { McpIdentity } from '../auth/index.js';
import type { McpConnection } from '../connect/connection.js';
import { errorMessage } from '../errors/index.js';
import { convertCallResult, type McpToolOutput } from './convert-result.js';

/** What a wrapped tool's `metadata` carries (not sent to the model; on tool call parts). */
export interface McpToolMetadata {
  /** Where the tool comes from. */
  mcp: {
    /** The config id of the server. */
    configId: string;
    /** The server's slug. */
    slug: string;
    /** The tool's original name on the server. */
    toolName: string;
    /** The tool annotations the server sent (`readOnlyHint`, `destructiveHint`, …). */
    annotations?: Record<string, unknown>;
  };
}

/** Options of {@link wrapMcpTool}. */
export interface WrapMcpToolOptions {
  /** The connection that serves the tool. */
  connection: McpConnection;
  /** The MCP tool definition. */
  tool: McpTool;
  /** The name the model sees. */
  name: string;
  /** The identity of the chat the tool set is built for. */
  identity: McpIdentity | undefined;
  /** Cap on result text in UTF-8 bytes. */
  maxResultBytes: number;
  /** Logger for call failures. */
  logger: Logger;
}

const validator = new AjvJsonSchemaValidator();

type InputValidator = (value: unknown) => { valid: boolean; errorMessage?: string | undefined };

/**
 * Compiled input validators by MCP tool definition. A pooled connection hands out the same tool
 * objects every turn (until `list_changed` replaces them), so each schema compiles once.
 */
const validators = new WeakMap<McpTool, InputValidator | null>();

function inputValidator(
  tool: McpTool,
  schema: JSONSchema7,
  logger: Logger,
): InputValidator | undefined {
  const cached = validators.get(tool);
  if (cached !== undefined) return cached ?? undefined;
  let compiled: InputValidator | null = null;
  try {
    compiled = validator.getValidator(schema as never);
  } catch (error) {
    logger.warn(
      { tool: tool.name, err: errorMessage(error) },
      'tool input schema does not compile; input is not validated',
    );
  }
  validators.set(tool, compiled);
  return compiled ?? undefined;
}

/**
 * The tool's input schema as the model sees it: always an object schema, `properties` present,
 * `required` never null (an empty array).
 */
export function toolInputSchema(tool: McpTool): JSONSchema7 {
  const schema = (tool.inputSchema ?? {}) as Record<string, unknown>;
  return {
    ...schema,
    type: 'object',
    properties: (schema.properties as JSONSchema7['properties']) ?? {},
    required: Array.isArray(schema.required) ? (schema.required as string[]) : [],
  } as JSONSchema7;
}

/** Maps a tool output to model content: images and files as content parts, never base64 text. */
export function toModelOutput(output: McpToolOutput) {
  if (output.isError) {
    return { type: 'error-text' as const, value: output.text || 'the tool reported an error' };
  }
  if (output.media.length === 0) return { type: 'text' as const, value: output.text };
  return {
    type: 'content' as const,
    value: [
      ...(output.text === '' ? [] : [{ type: 'text' as const, text: output.text }]),
      ...output.media.map((media) =>
        media.type === 'image'
          ? { type: 'image-data' as const, data: media.data, mediaType: media.mediaType }
          : { type: 'file-data' as const, data: media.data, mediaType: media.mediaType },
      ),
    ],
  };
}

/**
 * Wraps one MCP tool as an AI SDK dynamic tool.
 *
 * - Input is validated against the server's JSON schema by the AI SDK (through `jsonSchema`'s
 *   `validate`), so bad input reaches the model as a tool error without a round trip.
 * - `execute` forwards the original name and arguments. Transport failures and timeouts become
 *   an error result (`isError: true`), never a thrown error; an abort from the AI SDK rethrows
 *   its reason after the SDK has sent `notifications/cancelled`.
 * - The server's annotations are kept in `metadata.mcp.annotations`.
 */
export function wrapMcpTool({
  connection,
  tool,
  name,
  identity,
  maxResultBytes,
  logger,
}: WrapMcpToolOptions): AiTool<unknown, McpToolOutput> {
  const schema = toolInputSchema(tool);
  const validate = inputValidator(tool, schema, logger);
  const metadata: McpToolMetadata = {
    mcp: {
      configId: connection.config.id,
      slug: connection.config.slug,
      toolName: tool.name,
      ...(tool.annotations ? { annotations: tool.annotations as Record<string, unknown> } : {}),
    },
  };
  const title = tool.title ?? tool.annotations?.title;
  const wrapped = dynamicTool({
    ...(tool.description === undefined ? {} : { description: tool.description }),
    ...(title === undefined ? {} : { title }),
    metadata: metadata as never,
    inputSchema: jsonSchema<unknown>(schema, {
      validate: (value) => {
        if (validate === undefined) return { success: true, value };
        const result = validate(value);
        return result.valid
          ? { success: true, value }
          : { success: false, error: new Error(result.errorMessage ?? 'invalid input') };
      },
    }),
    execute: async (input, { abortSignal }): Promise<McpToolOutput> => {
      const args =
        typeof input === 'object' && input !== null && !Array.isArray(input)
          ? (input as Record<string, unknown>)
          : {};
      try {
        const result = await connection.callTool(tool.name, args, {
          signal: abortSignal,
          identity,
        });
        return convertCallResult(result, maxResultBytes);
      } catch (error) {
        if (abortSignal?.aborted) throw abortSignal.reason;
        const message = connection.scrub(errorMessage(error));
        logger.warn({ tool: name, err: message }, 'MCP tool call failed');
        return { isError: true, text: message, media: [], truncated: false };
      }
    },
    toModelOutput: ({ output }) => toModelOutput(output as McpToolOutput),
  });
  return wrapped as AiTool<unknown, McpToolOutput>;
}
