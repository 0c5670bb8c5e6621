// UI benchmark: the browser harness with real engines and a real relay, driven in
// Debian's Chromium. One person has a conversation of 10,000 messages.
//   open_conversation_p50_ms  click in the list → its last message painted (target ≤ 150)
//   send_to_sent_p99_ms       Enter → "sent" painted, relay acknowledgement included (≤ 100)
//   scroll_fps                frames per second while scrolling the whole history (≥ 50)
//   renderer_heap_mb          JS heap of the page after that scroll, after GC (≤ 120)
// Baselines measured in the same run: the same 100 messages rendered as plain DOM
// (open), the engine's own send → acknowledged time without UI (send), the frame
// rate of an idle page (scroll), and the heap of an empty page (heap).
import { performance } from 'node:perf_hooks';
import type { Page } from '@playwright/test';
import { type BenchFigures, type BenchSuite } from '../run.js';
import { percentile, round, startUiWorld } from '../ui-world.js';
import { newMessageId } from '../../main/engine/content.js';

const MESSAGES = 10_000;
const OPENS = 21;
const SENDS = 100;

const LOREM = [
  'La note sur le budget est prête pour relecture.',
  'Pouvez-vous confirmer la réunion de jeudi à 10 h ?',
  'Le décret a été transmis au secrétariat général.',
  'Merci, je regarde cela cet après-midi.',
  'Le rapport trimestriel comporte trois annexes : finances, personnel et équipements. Les chiffres de la deuxième annexe doivent encore être vérifiés par la direction administrative avant envoi.',
  'D’accord.',
];

async function openConversation(
  page: Page,
  id: string,
  lastId: string,
): Promise<{ inDom: number; painted: number }> {
  return page.evaluate(
    async ({ id, lastId }) => {
      const w = window as unknown as {
        __until: (check: () => boolean, t0: number) => Promise<number>;
        __inView: (el: Element) => boolean;
      };
      const row = document.querySelector<HTMLElement>(`[data-conversation-id="${id}"]`)!;
      const t0 = performance.now();
      row.click();
      const inDom = w.__until(
        () => document.querySelector(`[data-message-id="${lastId}"]`) !== null,
        t0,
      );
      const painted = await w.__until(() => {
        const el = document.querySelector(`[data-message-id="${lastId}"]`);
        return el !== null && w.__inView(el);
      }, t0);
      return { inDom: await inDom, painted };
    },
    { id, lastId },
  );
}

async function sendOne(page: Page, text: string): Promise<number> {
  return page.evaluate(async (text) => {
    const w = window as unknown as {
      __until: (check: () => boolean, t0: number) => Promise<number>;
    };
    const area = document.querySelector<HTMLTextAreaElement>('textarea.composer-input')!;
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    setValue.call(area, text);
    area.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    const t0 = performance.now();
    area.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }),
    );
    return w.__until(
      () =>
        [...document.querySelectorAll<HTMLElement>('article.message[data-outgoing="true"]')].some(
          (a) => a.dataset.status !== 'waiting' && a.querySelector('p.text')?.textContent === text,
        ),
      t0,
    );
  }, text);
}

/** Scrolls from the newest message to the oldest; returns frames per second and the worst frame. */
async function scrollHistory(
  page: Page,
): Promise<{ fps: number; worstFrameMs: number; seconds: number }> {
  return page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('[data-virtuoso-scroller]')!;
    const step = 900;
    let frames = 0;
    let worst = 0;
    let last = performance.now();
    const start = last;
    let stillAtTop = 0;
    await new Promise<void>((resolve) => {
      const frame = (now: number) => {
        frames++;
        worst = Math.max(worst, now - last);
        last = now;
        if (scroller.scrollTop <= 0) {
          // At the top: older pages may still be loading; stop when nothing more comes.
          if (++stillAtTop > 90) return resolve();
        } else {
          stillAtTop = 0;
        }
        scroller.scrollTop = Math.max(0, scroller.scrollTop - step);
        if (now - start > 120_000) return resolve();
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    // The final second spent waiting at the top is not scrolling.
    const seconds = (last - start) / 1000 - 1.5;
    return { fps: (frames - 90) / seconds, worstFrameMs: worst, seconds };
  });
}

async function idleFps(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let frames = 0;
        const start = performance.now();
        const frame = (now: number) => {
          frames++;
          if (now - start >= 2000) resolve((frames * 1000) / (now - start));
          else requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }),
  );
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize / 1024 / 1024;
}

const suite: BenchSuite = {
  description:
    'UI in Chromium on the harness, 10,000-message conversation: open p50 ≤ 150 ms, send→sent p99 ≤ 100 ms, scroll ≥ 50 fps, heap ≤ 120 MB',
  async run(log) {
    log('building the renderer');
    const world = await startUiWorld();
    try {
      const person = (userId: string, name: string) => world.person(userId, name);
      const amina = await person('amina', 'Amina Ndayishimiye');
      await person('bernard', 'Bernard Niyonzima');
      await person('claire', 'Claire Irakoze');
      await person('david', 'David Hakizimana');
      const engine = amina.current!;

      // Baseline for sending: the engine alone, Enter replaced by a call.
      for (const peer of ['bernard', 'claire', 'david']) {
        const first = await engine.sendText(peer, 'Bonjour');
        if (!first.ok) throw new Error(first.error.message);
        await engine.whenSent(first.value.id);
      }
      const engineSends: number[] = [];
      for (let i = 0; i < SENDS; i++) {
        const t0 = performance.now();
        const sent = await engine.sendText('bernard', `Mesure moteur ${i}`);
        if (!sent.ok) throw new Error(sent.error.message);
        await engine.whenSent(sent.value.id);
        engineSends.push(performance.now() - t0);
      }
      log(`engine send→sent p99 ${round(percentile(engineSends, 99))} ms`);

      log(`writing ${MESSAGES.toLocaleString('en-US')} messages into the conversation`);
      const start = Date.now() - MESSAGES * 30_000;
      engine.db.transaction(() => {
        for (let i = 0; i < MESSAGES; i++) {
          const outgoing = i % 3 === 0;
          engine.messages.insert({
            id: newMessageId(),
            conversationId: 'direct:bernard',
            senderId: outgoing ? 'amina' : 'bernard',
            senderDevice: 1,
            sentAt: start + i * 30_000,
            receivedAt: start + i * 30_000,
            kind: 'text',
            body: `${LOREM[i % LOREM.length]} (${i})`,
            replyTo: null,
            outgoing,
            status: 'read',
          });
        }
      })();
      for (const peer of ['claire', 'david']) {
        engine.db.transaction(() => {
          for (let i = 0; i < 60; i++) {
            engine.messages.insert({
              id: newMessageId(),
              conversationId: `direct:${peer}`,
              senderId: i % 2 ? 'amina' : peer,
              senderDevice: 1,
              sentAt: Date.now() - (60 - i) * 60_000,
              receivedAt: Date.now(),
              kind: 'text',
              body: `${LOREM[i % LOREM.length]} [${peer} ${i}]`,
              replyTo: null,
              outgoing: i % 2 === 1,
              status: 'read',
            });
          }
        })();
      }
      const lastOf = (conversationId: string) => {
        const page = engine.messages.messages(conversationId, undefined, 1);
        return page[page.length - 1]!.id;
      };

      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await amina.call('listMessages', ['direct:bernard', { limit: 100 }]);
        log(`listMessages(100) in the engine: ${round(performance.now() - t0)} ms`);
      }
      const page = await world.openApp(amina);
      await page.locator('[data-conversation-id="direct:bernard"]').waitFor();

      // Baselines in the page: an idle frame rate; the same first page as plain DOM.
      const baselineFps = await idleFps(page);
      const firstPage = engine.messages
        .messages('direct:bernard', undefined, 100)
        .map((m) => m.text);
      const baselineRender = await page.evaluate(async (texts) => {
        const t0 = performance.now();
        const box = document.createElement('div');
        box.innerHTML = texts.map((t) => `<article><p>${t}</p></article>`).join('');
        document.body.appendChild(box);
        box.lastElementChild!.scrollIntoView();
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const ms = performance.now() - t0;
        box.remove();
        return ms;
      }, firstPage as string[]);

      log('opening conversations');
      const opens: number[] = [];
      const opensInDom: number[] = [];
      const rotation = ['direct:claire', 'direct:david', 'direct:bernard'];
      for (let i = 0; i < OPENS * 3; i++) {
        const id = rotation[i % 3]!;
        const ms = await openConversation(page, id, lastOf(id));
        if (id === 'direct:bernard' && i >= 3) {
          opens.push(ms.painted);
          opensInDom.push(ms.inDom);
        }
      }

      log('sending');
      const sends: number[] = [];
      for (let i = 0; i < SENDS; i++) sends.push(await sendOne(page, `Mesure interface ${i}`));

      log('scrolling the whole history');
      const scroll = await scrollHistory(page);
      const loaded = await page.locator('article.message').count();
      const reachedOldest = await page
        .locator('article.message p.text', { hasText: `${LOREM[0]} (0)` })
        .count();
      const heap = await heapMb(page);
      const blank = await world.browser.newPage();
      const baselineHeap = await heapMb(blank);
      await blank.close();

      const openP50 = percentile(opens, 50);
      const sendP99 = percentile(sends, 99);
      const engineP99 = percentile(engineSends, 99);
      const figures: BenchFigures = {
        messages: MESSAGES,
        open_conversation_p50_ms: round(openP50),
        open_conversation_p95_ms: round(percentile(opens, 95)),
        open_last_message_in_dom_p50_ms: round(percentile(opensInDom, 50)),
        baseline_plain_dom_render_ms: round(baselineRender),
        open_ratio: round(openP50 / baselineRender, 2),
        send_to_sent_p50_ms: round(percentile(sends, 50)),
        send_to_sent_p99_ms: round(sendP99),
        baseline_engine_send_to_sent_p99_ms: round(engineP99),
        send_ratio: round(sendP99 / engineP99, 2),
        scroll_fps: round(scroll.fps),
        scroll_worst_frame_ms: round(scroll.worstFrameMs),
        scroll_seconds: round(scroll.seconds),
        baseline_idle_fps: round(baselineFps),
        scroll_ratio: round(scroll.fps / baselineFps, 2),
        renderer_heap_mb: round(heap),
        baseline_blank_page_heap_mb: round(baselineHeap),
        heap_ratio: round(heap / baselineHeap, 2),
        message_elements_in_dom: loaded,
        scroll_reached_oldest: reachedOldest === 1,
        targets_met: openP50 <= 150 && sendP99 <= 100 && scroll.fps >= 50 && heap <= 120,
      };
      return figures;
    } finally {
      await world.close();
    }
  },
};

export default suite;
