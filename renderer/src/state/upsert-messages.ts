// A thread's messages in the sender's time order, each once: what engine events and
// the person's own actions put in, whether new or a newer copy of one already there.
import type { MessageView } from '../api/types.js';

/**
 * Puts messages in place (sorted by the sender's time, a new one after those of the
 * same millisecond), replacing older copies. One copy of the list however many come:
 * a catch-up brings them by the hundred.
 */
export function upsertMessages(
  messages: readonly MessageView[],
  incoming: readonly MessageView[],
): readonly MessageView[] {
  if (incoming.length === 0) return messages;
  const copy = messages.slice();
  const at = new Map<string, number>();
  copy.forEach((m, i) => at.set(m.id, i));
  for (const message of incoming) {
    const existing = at.get(message.id);
    if (existing !== undefined) {
      copy[existing] = message;
      continue;
    }
    // Almost always the newest: found at once from the end.
    let position = copy.length;
    while (position > 0 && copy[position - 1]!.sentAt > message.sentAt) position--;
    if (position === copy.length) {
      at.set(message.id, copy.push(message) - 1);
    } else {
      copy.splice(position, 0, message);
      for (let i = position; i < copy.length; i++) at.set(copy[i]!.id, i);
    }
  }
  return copy;
}

/** One message: `upsertMessages` with a single one. */
export function upsertMessage(
  messages: readonly MessageView[],
  message: MessageView,
): readonly MessageView[] {
  return upsertMessages(messages, [message]);
}
