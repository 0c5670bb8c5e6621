import { describe, expect, it } from 'vitest';
import { MAIN_TEXTS, type MainTexts } from './main-texts.js';
import {
  type IncomingNotice,
  NOTIFICATION_GATHER_MS,
  NOTIFICATION_MIN_INTERVAL_MS,
  type NotificationContent,
  NotificationBatcher,
} from './notification-batcher.js';

/** A clock and timers the test moves by hand. */
class ManualClock {
  now = 1_000_000;
  private timers: { at: number; run: () => void; id: number }[] = [];
  private nextId = 1;

  setTimer = (run: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, run, id });
    return id;
  };

  clearTimer = (id: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.run();
    }
    this.now = until;
  }
}

function setup(texts: MainTexts = MAIN_TEXTS.fr) {
  const clock = new ManualClock();
  const shown: NotificationContent[] = [];
  let focused = false;
  const batcher = new NotificationBatcher(
    (content) => shown.push(content),
    () => texts,
    () => focused,
    { now: () => clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer },
  );
  return {
    clock,
    shown,
    batcher,
    focus: (value: boolean) => {
      focused = value;
    },
  };
}

function notice(sender: string, conversationId: string, text = 'Bonjour'): IncomingNotice {
  return { conversationId, sender, text, showText: true };
}

describe('notifications of incoming messages', () => {
  it('show a lone message as before, a moment after it arrived', () => {
    const { clock, shown, batcher } = setup();
    batcher.add(notice('Bernard Niyonzima', 'direct:bernard', 'Le budget est prêt.'));
    expect(shown).toEqual([]);
    clock.advance(NOTIFICATION_GATHER_MS);
    expect(shown).toEqual([{ title: 'Bernard Niyonzima', body: 'Le budget est prêt.' }]);
  });

  it('make one notification of a catch-up of hundreds of messages, with no text', () => {
    const { clock, shown, batcher } = setup();
    const senders = ['Bernard Niyonzima', 'Claire Irakoze', 'Denis Hakizimana'];
    // 2,500 messages arriving in batches over about a second, in three conversations.
    for (let i = 0; i < 2_500; i++) {
      batcher.add(notice(senders[i % 3]!, `direct:${i % 3}`, `Message ${i}`));
      if (i % 250 === 249) clock.advance(40);
    }
    clock.advance(NOTIFICATION_GATHER_MS);
    expect(shown).toEqual([
      {
        title: 'Bernard Niyonzima et 2 autres',
        body: '2\u202f500 nouveaux messages dans 3 conversations',
      },
    ]);
  });

  it('keep to one notification every few seconds while messages keep coming', () => {
    const { clock, shown, batcher } = setup(MAIN_TEXTS.en);
    // A busy group: one message a second for 20 seconds.
    for (let second = 0; second < 20; second++) {
      batcher.add(notice(second % 2 ? 'Claire' : 'Bernard', 'group:budget'));
      clock.advance(1_000);
    }
    clock.advance(NOTIFICATION_MIN_INTERVAL_MS);
    // The first alone, then at most one per interval, and every message told once.
    expect(shown.length).toBeLessThanOrEqual(1 + Math.ceil(20_000 / NOTIFICATION_MIN_INTERVAL_MS));
    expect(shown[0]).toEqual({ title: 'Bernard', body: 'Bonjour' });
    for (const content of shown.slice(1)) {
      expect(content.title).toMatch(/^(Bernard and Claire|Claire and Bernard)$/);
    }
    const told = shown
      .slice(1)
      .map((c) => Number(/^(\d+) new messages$/.exec(c.body)![1]))
      .reduce((a, b) => a + b, 1);
    expect(told).toBe(20);
  });

  it('never show a text among several messages, labelled or not', () => {
    const { clock, shown, batcher } = setup();
    batcher.add(notice('Bernard', 'direct:bernard', 'Le budget'));
    batcher.add({ ...notice('Bernard', 'direct:bernard', 'Secret'), classification: 'secret' });
    clock.advance(NOTIFICATION_GATHER_MS);
    expect(shown).toEqual([{ title: 'Bernard', body: '2 nouveaux messages' }]);
  });

  it('say the label of a lone labelled message, never its text', () => {
    const { clock, shown, batcher } = setup();
    batcher.add({ ...notice('Bernard', 'direct:bernard', 'Le budget'), classification: 'secret' });
    clock.advance(NOTIFICATION_GATHER_MS);
    expect(shown).toEqual([{ title: 'Bernard', body: 'Message Secret' }]);
  });

  it('tell nothing to a person looking at the window, and drop what was pending on focus', () => {
    const { clock, shown, batcher, focus } = setup();
    focus(true);
    batcher.add(notice('Bernard', 'direct:bernard'));
    clock.advance(NOTIFICATION_GATHER_MS);
    expect(shown).toEqual([]);
    focus(false);
    batcher.add(notice('Bernard', 'direct:bernard'));
    focus(true);
    batcher.clear();
    clock.advance(NOTIFICATION_MIN_INTERVAL_MS);
    expect(shown).toEqual([]);
    // Away again: the next message is told, alone.
    focus(false);
    batcher.add(notice('Claire', 'direct:claire', 'Réunion à 10 h'));
    clock.advance(NOTIFICATION_GATHER_MS);
    expect(shown).toEqual([{ title: 'Claire', body: 'Réunion à 10 h' }]);
  });

  it('say in which group a message was posted, alone or among others of that group', () => {
    const { clock, shown, batcher } = setup();
    batcher.add({ ...notice('Bernard', 'group:g1', 'Réunion lundi'), group: 'Comité budgétaire' });
    clock.advance(NOTIFICATION_GATHER_MS);
    batcher.add({ ...notice('Claire', 'group:g1'), group: 'Comité budgétaire' });
    batcher.add({ ...notice('Bernard', 'group:g1'), group: 'Comité budgétaire' });
    clock.advance(NOTIFICATION_MIN_INTERVAL_MS);
    // Two conversations: no single place to name.
    batcher.add({ ...notice('Claire', 'group:g1'), group: 'Comité budgétaire' });
    batcher.add(notice('Denis', 'direct:denis'));
    clock.advance(NOTIFICATION_MIN_INTERVAL_MS);
    expect(shown).toEqual([
      { title: 'Bernard — Comité budgétaire', body: 'Réunion lundi' },
      { title: 'Claire et Bernard — Comité budgétaire', body: '2 nouveaux messages' },
      { title: 'Claire et Denis', body: '2 nouveaux messages dans 2 conversations' },
    ]);
  });

  it('name two senders, or the first and how many others', () => {
    expect(MAIN_TEXTS.fr.senders(['Bernard', 'Claire'])).toBe('Bernard et Claire');
    expect(MAIN_TEXTS.en.senders(['Bernard', 'Claire', 'Denis', 'Eric'])).toBe(
      'Bernard and 3 others',
    );
    expect(MAIN_TEXTS.en.newMessages(1_200, 4)).toBe('1,200 new messages in 4 conversations');
  });
});
