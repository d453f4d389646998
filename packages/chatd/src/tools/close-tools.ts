import type { Logger } from '@chatd/core';
import type { TurnTools } from './tool-provider.js';

/** Releases an action's tools; a failure is logged, never thrown (the action's outcome stands). */
export async function closeTools(logger: Logger, turnTools: TurnTools | undefined): Promise<void> {
  try {
    await turnTools?.close();
  } catch (error) {
    logger.warn({ err: error }, 'closing the turn tools failed');
  }
}
