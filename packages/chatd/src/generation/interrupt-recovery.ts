import type { ChatMessagePart, JsonValue, ToolCallPart, ToolResultPart } from '@chatd/core';
import type { NewMessage } from '@chatd/message-store';
import type { StoredPart } from '@chatd/messagepartbuffer';

/** The output a tool call gets when an interrupt ends it before its result. */
export const INTERRUPTED_RESULT = 'Tool execution interrupted by user';

/** What {@link recoverInterruptedOutput} needs besides the parts. */
export interface RecoveryOptions {
  /**
   * The server-side calls of the last committed assistant message that have no result: an
   * interrupted tool batch was running them, and its finished results are in the parts.
   */
  committedCalls: readonly ToolCallPart[];
  /** The chat's client-executed tools: their calls are closed by the store, not here. */
  dynamicToolNames: readonly string[];
  /** When the interrupt happened (ISO), for reasoning parts that never finished. */
  interruptedAt: string;
  /** The model configuration the messages are attributed to. */
  modelConfigId?: string;
}

interface OpenBlock {
  part: Extract<ChatMessagePart, { type: 'text' | 'reasoning' }>;
}

interface PendingCall {
  toolName: string;
  inputText: string;
  providerExecuted: boolean;
  title: string | undefined;
}

function parseInput(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text === '' ? '{}' : text) as JsonValue;
  } catch {
    return undefined;
  }
}

/**
 * Turns the parts an interrupted attempt streamed into the messages that keep its work: an
 * assistant message with its text and reasoning (consecutive deltas of one block coalesced
 * into one part), the tool calls whose input arrived complete, and the tool messages of results
 * that finished, including results of an interrupted tool batch for calls committed in an
 * earlier step. Every server-side call left without a result gets an error result saying the
 * interrupt ended it. Provider metadata on parts survives.
 */
export function recoverInterruptedOutput(
  parts: readonly StoredPart[],
  options: RecoveryOptions,
): NewMessage[] {
  const messages: NewMessage[] = [];
  const assistantParts: ChatMessagePart[] = [];
  const blocks = new Map<string, OpenBlock>();
  const pendingCalls = new Map<string, PendingCall>();
  const knownCalls = new Map<string, ToolCallPart>();
  for (const call of options.committedCalls) knownCalls.set(call.toolCallId, call);
  const answered = new Set<string>();
  const attribution =
    options.modelConfigId === undefined ? {} : { modelConfigId: options.modelConfigId };

  const flushAssistant = () => {
    if (assistantParts.length === 0) return;
    messages.push({
      role: 'assistant',
      content: { version: 1, parts: assistantParts.splice(0) },
      ...attribution,
    });
    blocks.clear();
  };

  const addCall = (call: ToolCallPart) => {
    knownCalls.set(call.toolCallId, call);
    assistantParts.push(call);
  };

  const addResult = (result: ToolResultPart) => {
    if (answered.has(result.toolCallId) || !knownCalls.has(result.toolCallId)) return;
    answered.add(result.toolCallId);
    if (result.providerExecuted === true) {
      assistantParts.push(result);
      return;
    }
    flushAssistant();
    messages.push({ role: 'tool', content: { version: 1, parts: [result] }, ...attribution });
  };

  for (const { part } of [...parts].sort((a, b) => a.seq - b.seq)) {
    switch (part.type) {
      case 'text-start':
      case 'reasoning-start': {
        const block: OpenBlock = {
          part:
            part.type === 'text-start'
              ? { type: 'text', text: '' }
              : { type: 'reasoning', text: '', createdAt: options.interruptedAt },
        };
        if (part.providerMetadata !== undefined)
          block.part.providerMetadata = part.providerMetadata;
        blocks.set(`${part.type}:${part.id}`, block);
        assistantParts.push(block.part);
        break;
      }
      case 'text-delta':
      case 'reasoning-delta': {
        const kind = part.type === 'text-delta' ? 'text-start' : 'reasoning-start';
        let block = blocks.get(`${kind}:${part.id}`);
        if (block === undefined) {
          block = {
            part:
              part.type === 'text-delta'
                ? { type: 'text', text: '' }
                : { type: 'reasoning', text: '', createdAt: options.interruptedAt },
          };
          blocks.set(`${kind}:${part.id}`, block);
          assistantParts.push(block.part);
        }
        block.part.text += part.delta;
        break;
      }
      case 'text-end':
      case 'reasoning-end': {
        const kind = part.type === 'text-end' ? 'text-start' : 'reasoning-start';
        const block = blocks.get(`${kind}:${part.id}`);
        if (block !== undefined && block.part.type === 'reasoning') {
          block.part.completedAt = options.interruptedAt;
        }
        if (block !== undefined && part.providerMetadata !== undefined) {
          block.part.providerMetadata = part.providerMetadata;
        }
        break;
      }
      case 'tool-input-start':
        if (!knownCalls.has(part.toolCallId)) {
          pendingCalls.set(part.toolCallId, {
            toolName: part.toolName,
            inputText: '',
            providerExecuted: part.providerExecuted === true,
            title: part.title,
          });
        }
        break;
      case 'tool-input-delta': {
        const pending = pendingCalls.get(part.toolCallId);
        if (pending !== undefined) pending.inputText += part.inputTextDelta;
        break;
      }
      case 'tool-input-available': {
        if (knownCalls.has(part.toolCallId)) break;
        pendingCalls.delete(part.toolCallId);
        addCall({
          type: 'tool-call',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input,
          ...(part.providerExecuted === true ? { providerExecuted: true } : {}),
          ...(part.dynamic === true ? { dynamic: true } : {}),
          ...(part.title === undefined ? {} : { title: part.title }),
          ...(part.providerMetadata === undefined
            ? {}
            : { providerMetadata: part.providerMetadata }),
        });
        break;
      }
      case 'tool-output-available':
      case 'tool-output-error': {
        const call = knownCalls.get(part.toolCallId);
        if (call === undefined) break;
        addResult({
          type: 'tool-result',
          toolCallId: part.toolCallId,
          toolName: call.toolName,
          ...(part.type === 'tool-output-available'
            ? { output: part.output }
            : { output: part.errorText, isError: true }),
          ...(part.providerExecuted === true ? { providerExecuted: true } : {}),
          ...(part.dynamic === true ? { dynamic: true } : {}),
          ...(part.providerMetadata === undefined
            ? {}
            : { providerMetadata: part.providerMetadata }),
        });
        break;
      }
      default:
        break;
    }
  }

  // Calls whose input was still streaming: kept when what arrived parses as JSON (then they get
  // the interrupted result below); input cut off mid-JSON can be neither run nor shown.
  for (const [toolCallId, pending] of pendingCalls) {
    if (knownCalls.has(toolCallId)) continue;
    const input = parseInput(pending.inputText);
    if (input === undefined) continue;
    addCall({
      type: 'tool-call',
      toolCallId,
      toolName: pending.toolName,
      input,
      ...(pending.providerExecuted ? { providerExecuted: true } : {}),
      ...(pending.title === undefined ? {} : { title: pending.title }),
    });
  }
  for (const part of assistantParts) {
    if (part.type === 'reasoning' && part.completedAt === undefined)
      part.completedAt = options.interruptedAt;
  }
  const withText = assistantParts.filter((part) => !(part.type === 'text' && part.text === ''));
  assistantParts.splice(0, assistantParts.length, ...withText);
  flushAssistant();

  for (const call of knownCalls.values()) {
    if (answered.has(call.toolCallId) || call.providerExecuted === true) continue;
    if (call.dynamic === true || options.dynamicToolNames.includes(call.toolName)) continue;
    messages.push({
      role: 'tool',
      content: {
        version: 1,
        parts: [
          {
            type: 'tool-result',
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            output: INTERRUPTED_RESULT,
            isError: true,
          },
        ],
      },
      ...attribution,
    });
  }
  return messages;
}
