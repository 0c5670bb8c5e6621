// The names of group conversations, for notifications: "Bernard Niyonzima — Comité
// budgétaire" says where a message was posted. The engine's message events carry the
// conversation's id only; asking the engine for its list on every message of a
// catch-up would cost one query per message, so the names are kept here, read in one
// go when an unknown group is met, and forgotten when a group changes (renamed).
import type { ConversationView, Result } from '../../shared/api/index.js';

export class GroupTitles {
  private readonly titles = new Map<string, string>();
  private loading: Promise<void> | null = null;

  constructor(
    private readonly listConversations: () => Promise<Result<readonly ConversationView[]>>,
  ) {}

  /** The group's name; undefined for a 1:1 conversation or one the engine does not list. */
  async title(conversationId: string): Promise<string | undefined> {
    if (!conversationId.startsWith('group:')) return undefined;
    if (!this.titles.has(conversationId)) await this.load();
    return this.titles.get(conversationId);
  }

  /** The group changed (a new name, members): its name is read again when next needed. */
  forget(conversationId: string): void {
    this.titles.delete(conversationId);
  }

  /** One read for all the messages that meet unknown groups at once. */
  private load(): Promise<void> {
    this.loading ??= this.listConversations()
      .then((list) => {
        if (!list.ok) return;
        for (const c of list.value) if (c.kind === 'group') this.titles.set(c.id, c.title);
      })
      .catch(() => undefined)
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}
