// Incoming messages as desktop notifications, grouped. After a weekend offline the app
// receives hundreds of messages within a second or two (the catch-up), and a busy group
// can post several a second: one notification each would fill the Windows notification
// centre and ring as many times. Messages that arrive close together are shown as one
// notification (title "Bernard Niyonzima et 2 autres", body "12 nouveaux messages dans
// 3 conversations"), and notifications come at most every few seconds; a lone message
// is shown as before, a moment later. A group's name follows the sender's ("Bernard
// Niyonzima — Comité budgétaire").
//
// Plain TypeScript (no Electron): main.ts gives it a function that shows a notification
// and says whether the window has the focus. A person looking at the window is not
// notified, and what was pending is dropped when the window gets the focus.
import type { Classification } from '../../shared/api/index.js';
import { type MainTexts, notificationContent } from './main-texts.js';

/** One incoming message, as the engine process reports it. */
export interface IncomingNotice {
  readonly conversationId: string;
  readonly sender: string;
  /** The group's name, when the message was posted in one. */
  readonly group?: string;
  /** The text, only when the person chose to show it in notifications. */
  readonly text: string | null;
  readonly showText: boolean;
  readonly classification?: Classification;
}

export interface NotificationContent {
  readonly title: string;
  readonly body: string;
}

export interface NotificationBatcherOptions {
  /** How long the first message of a burst waits for the others. */
  readonly gatherMs?: number;
  /** The least time between two notifications. */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

export const NOTIFICATION_GATHER_MS = 500;
export const NOTIFICATION_MIN_INTERVAL_MS = 5_000;

export class NotificationBatcher {
  private pending: IncomingNotice[] = [];
  private timer: unknown = undefined;
  private lastShownAt = -Infinity;
  private readonly gatherMs: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(
    private readonly show: (content: NotificationContent) => void,
    private readonly texts: () => MainTexts,
    private readonly focused: () => boolean,
    options: NotificationBatcherOptions = {},
  ) {
    this.gatherMs = options.gatherMs ?? NOTIFICATION_GATHER_MS;
    this.minIntervalMs = options.minIntervalMs ?? NOTIFICATION_MIN_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout));
  }

  /** A message arrived; it is shown with those that follow it closely. */
  add(notice: IncomingNotice): void {
    if (this.focused()) return;
    this.pending.push(notice);
    if (this.timer !== undefined) return;
    const at = Math.max(this.now() + this.gatherMs, this.lastShownAt + this.minIntervalMs);
    this.timer = this.setTimer(() => this.flush(), Math.max(0, at - this.now()));
  }

  /** The window got the focus: the person sees the messages; nothing pending is shown. */
  clear(): void {
    this.pending = [];
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const notices = this.pending;
    this.pending = [];
    if (notices.length === 0 || this.focused()) return;
    this.lastShownAt = this.now();
    this.show(summarise(this.texts(), notices));
  }
}

/** One notification for several messages; a single one reads as before. */
export function summarise(
  texts: MainTexts,
  notices: readonly IncomingNotice[],
): NotificationContent {
  const only = notices[0]!;
  if (notices.length === 1) {
    const content = notificationContent(
      texts,
      only.sender,
      only.text,
      only.showText,
      only.classification,
    );
    return { ...content, title: inGroup(content.title, only.group) };
  }
  // Never a text: several messages do not fit, and a labelled one may be among them.
  const senders = [...new Set(notices.map((n) => n.sender))];
  const conversations = new Set(notices.map((n) => n.conversationId)).size;
  return {
    title: inGroup(texts.senders(senders), conversations === 1 ? only.group : undefined),
    body: texts.newMessages(notices.length, conversations),
  };
}

/** "Bernard Niyonzima — Comité budgétaire": who, and where when it is a group. */
function inGroup(who: string, group: string | undefined): string {
  return group === undefined ? who : `${who} — ${group}`;
}
