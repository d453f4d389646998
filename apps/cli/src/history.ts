import type { ChatMessage } from '@chatd/core';

/** A line of the printed transcript: a committed message, or a note about hidden ones. */
export type HistoryItem =
  | { key: string; type: 'message'; message: ChatMessage }
  | { key: string; type: 'note'; text: string };

/** What to do to bring the printed transcript up to the chat's committed messages. */
export type HistoryUpdate =
  | { type: 'append'; items: HistoryItem[] }
  /** Something already printed changed or went away: print the transcript again. */
  | { type: 'reprint'; items: HistoryItem[] };

const fingerprints = new WeakMap<ChatMessage, string>();

/** What a message looks like on screen; a message re-sent unchanged (a resumed stream) matches. */
function fingerprint(message: ChatMessage): string {
  let known = fingerprints.get(message);
  if (known === undefined) {
    known = `${message.role}:${JSON.stringify(message.content)}`;
    fingerprints.set(message, known);
  }
  return known;
}

function itemOf(message: ChatMessage): HistoryItem {
  return { key: `${message.id}:${fingerprint(message)}`, type: 'message', message };
}

/** The last `limit` messages, after a note saying how many earlier ones are not shown. */
export function transcriptItems(messages: readonly ChatMessage[], limit: number): HistoryItem[] {
  const shown = messages.slice(-limit);
  const hidden = messages.length - shown.length;
  const note: HistoryItem[] =
    hidden === 0
      ? []
      : [
          {
            key: `note:${shown[0]?.id}`,
            type: 'note',
            text: `… ${hidden} earlier message${hidden === 1 ? '' : 's'} not shown`,
          },
        ];
  return [...note, ...shown.map(itemOf)];
}

/**
 * Compares what was printed with the committed messages (oldest first). A terminal cannot
 * change lines that scrolled away, so the transcript is printed once, message by message: new
 * messages after the last printed one are appended; anything else (an edited or deleted
 * message, a history reset) asks for a reprint. The first print shows at most `limit`
 * messages.
 */
export function updateHistory(
  printed: readonly HistoryItem[],
  messages: readonly ChatMessage[],
  limit: number,
): HistoryUpdate {
  const printedMessages = printed.flatMap((item) => (item.type === 'message' ? [item] : []));
  if (printed.length === 0) return { type: 'append', items: transcriptItems(messages, limit) };
  const first = printedMessages[0]?.message.id ?? Number.POSITIVE_INFINITY;
  const visible = messages.filter((message) => message.id >= first);
  const same =
    visible.length >= printedMessages.length &&
    printedMessages.every((item, index) => {
      const message = visible[index];
      return message !== undefined && item.key === itemOf(message).key;
    });
  if (!same) return { type: 'reprint', items: transcriptItems(messages, limit) };
  return { type: 'append', items: visible.slice(printedMessages.length).map(itemOf) };
}
