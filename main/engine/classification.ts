// Classification labels in the engine (shared/api/classification.ts has the labels and
// the rules; docs/protocol.md §13). Each message row keeps its label as a level; each
// contact row keeps the clearance the relay's directory gives. What a person may send
// where is decided here, before a labelled message is stored: the sending engine is
// the one place that can stop a disclosure (a receiver can only see it happened).
import {
  type Classification,
  DEFAULT_CLEARANCE,
  classificationLevel,
  classificationOfLevel,
  clearedFor,
  isClassification,
} from '../../shared/api/classification.js';
import { EngineError } from '../../shared/api/errors.js';
import { statement } from './store/statements.js';
import type { Store } from './store/open-store.js';

export const CLASSIFICATION_MIGRATION_STATEMENTS = [
  'ALTER TABLE messages ADD COLUMN classification INTEGER NOT NULL DEFAULT 0',
  // The relay's default until a profile says otherwise (and a contact stored offline
  // before its profile was fetched): « Diffusion restreinte ».
  `ALTER TABLE contacts ADD COLUMN clearance INTEGER NOT NULL DEFAULT ${classificationLevel(DEFAULT_CLEARANCE)}`,
];

/** The label of a stored level; a level this version does not know grants nothing. */
export function labelOfLevel(level: number): Classification {
  return classificationOfLevel(level) ?? 'none';
}

/** The `classification` option of a call from the app or the CLI (absent: none). */
export function checkClassificationOption(value: unknown): Classification {
  if (value === undefined) return 'none';
  if (!isClassification(value)) {
    throw new EngineError(
      'BAD_REQUEST',
      `"${String(value)}" is not a classification label: use none, restricted, confidential or secret.`,
    );
  }
  return value;
}

export class Clearances {
  constructor(
    private readonly db: Store,
    private readonly myUserId: string,
  ) {}

  /** What the directory last said of someone (the relay's default if never fetched). */
  ofUser(userId: string): Classification {
    const level = statement(this.db, 'SELECT clearance FROM contacts WHERE user_id = ?')
      .pluck()
      .get(userId) as number | undefined;
    return level === undefined ? DEFAULT_CLEARANCE : labelOfLevel(level);
  }

  /** Everyone a conversation's messages reach: me, and the peer or the group's members. */
  members(conversationId: string): string[] {
    const people = new Set([this.myUserId]);
    if (conversationId.startsWith('direct:')) {
      people.add(conversationId.slice('direct:'.length));
    } else if (conversationId.startsWith('group:')) {
      const rows = statement(this.db, 'SELECT user_id FROM group_members WHERE group_id = ?')
        .pluck()
        .all(conversationId.slice('group:'.length)) as string[];
      for (const userId of rows) people.add(userId);
    }
    return [...people];
  }

  /** The conversations someone is in (for me: all of them). */
  conversationsOf(userId: string): string[] {
    if (userId === this.myUserId) {
      return statement(this.db, 'SELECT id FROM conversations').pluck().all() as string[];
    }
    return statement(
      this.db,
      `SELECT id FROM conversations WHERE peer_user_id = ?
       UNION SELECT 'group:' || group_id FROM group_members WHERE user_id = ?`,
    )
      .pluck()
      .all(userId, userId) as string[];
  }

  /** The highest label everyone in the conversation is cleared for. */
  ofConversation(conversationId: string): Classification {
    // One read for all the members (the conversation list asks this of every group).
    const members = this.members(conversationId);
    const known = statement(
      this.db,
      'SELECT clearance FROM contacts WHERE user_id IN (SELECT value FROM json_each(?))',
    )
      .pluck()
      .all(JSON.stringify(members)) as number[];
    // Someone never fetched counts at the relay's default, as in ofUser.
    const levels = known.map((level) => classificationLevel(labelOfLevel(level)));
    if (known.length < members.length) levels.push(classificationLevel(DEFAULT_CLEARANCE));
    return labelOfLevel(Math.min(...levels));
  }

  /**
   * Refuses a label that someone in the conversation is not cleared for (the sender
   * included), naming them; and a reply labelled below the message it answers.
   */
  check(
    conversationId: string,
    label: Classification,
    nameOf: (userId: string) => string,
    answers?: Classification,
  ): void {
    if (answers !== undefined && !clearedFor(label, answers)) {
      throw new EngineError(
        'CLASSIFICATION_DOWNGRADE',
        `The message you answer is labelled "${answers}": your reply carries that label or a higher one.`,
      );
    }
    if (label === 'none') return;
    const notCleared = this.members(conversationId).filter(
      (userId) => !clearedFor(this.ofUser(userId), label),
    );
    if (notCleared.length === 0) return;
    const names = notCleared
      .map((userId) => (userId === this.myUserId ? 'you' : nameOf(userId)))
      .join(', ');
    throw new EngineError(
      'CLASSIFICATION_NOT_CLEARED',
      `Not cleared for "${label}": ${names}. Choose a lower label or other recipients, or ask the ICT cell.`,
    );
  }
}
