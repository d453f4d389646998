import { ChatNotFoundError } from '../errors/index.js';
import type { StoreContext } from '../store/store-context.js';
import { ChatNotRootError, InvalidStateError } from './errors.js';
import { inStateTransaction, updateChat } from './update-envelope.js';

/** The chats a family archive changed. */
export interface FamilyArchiveResult {
  /** The root first, then its descendants by creation. */
  chatIds: string[];
}

/**
 * Archives or unarchives a root chat and all its descendants in one transaction.
 *
 * The root is locked first (so two family operations on one family serialize), then each
 * member gets its own update, root first, then by creation: every member's snapshot is bumped
 * and published, even one already at the target value (clients refresh the family as a unit).
 * Any member that cannot move (busy, or Invalid, even if already at the target) rolls the
 * whole family back: a half-archived family would be worse than none.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the root does not exist.
 * @throws ChatNotRootError `CHAT_NOT_ROOT` when `rootId` has a parent.
 * @throws InvalidStateError `INVALID_STATE` when a member is in an invalid state.
 * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` when a member is busy.
 */
export async function setFamilyArchived(
  context: StoreContext,
  rootId: string,
  archived: boolean,
): Promise<FamilyArchiveResult> {
  return inStateTransaction(context, async ({ queries }) => {
    const root = await queries.lockRow(rootId, 'update');
    if (root === undefined) throw new ChatNotFoundError(rootId);
    if (root.parentChatId !== null) throw new ChatNotRootError(rootId);
    const chatIds = await queries.familyIds(rootId);
    for (const chatId of chatIds) {
      await updateChat(context, chatId, async (chat) => {
        const { state, row } = await chat.snapshot();
        if (state === 'Invalid') throw new InvalidStateError('setArchived');
        if (row.archived !== archived) await chat.setArchived(archived);
      });
    }
    return { chatIds };
  });
}
