import { z } from 'zod';

/** Every {@link ChatMessageRole}, in the order a conversation usually introduces them. */
export const CHAT_MESSAGE_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

/**
 * Who a message is from.
 *
 * - `system`: instructions for the model, not shown as conversation.
 * - `user`: what the person (or calling program) said.
 * - `assistant`: what the model produced: text, reasoning, tool calls, provider-executed tool
 *   results.
 * - `tool`: results of tools executed outside the provider (by the server or the client).
 */
export type ChatMessageRole = (typeof CHAT_MESSAGE_ROLES)[number];

export const chatMessageRoleSchema = z.enum(CHAT_MESSAGE_ROLES);
