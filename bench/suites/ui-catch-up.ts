// `npm run bench -- ui-catch-up`: a catch-up streaming into the conversation a person
// has open (the PC woke up on Monday with the app open). Amina's app runs in Chromium
// (browser harness, real engines, real relay); her connection is cut, Claire writes
// 5,000 messages, the connection comes back. Two rounds:
//   baseline  Bernard writes the 5,000 instead, into a conversation Amina does not have
//             open: the engine catches up and the page only updates its list;
//   measured  Claire writes them into the conversation Amina has open: all of it
//             comes into view.
// Figures:
//   engine_last_ms      reconnection → the engine announces Claire's last message (measured round)
//   painted_last_ms     reconnection → that message painted in view
//   catch_up_ratio      painted / engine (target ≤ 1.5: the page keeps up with the engine)
//   catch_up_fps        frames painted per second meanwhile
//   baseline_fps        the same in the baseline round (the machine busy catching up)
//   fps_ratio           catch_up_fps / baseline_fps (target ≥ 0.5: the open conversation
//                       costs the page at most half its frames)
//   worst_frame_ms      the longest frame of the measured round
// The cut is the engine's own connection stopped and started again, as when the network
// goes; everything else is the product as it runs.
import { performance } from 'node:perf_hooks';
import type { Page } from '@playwright/test';
import type { EngineHost } from '../../main/harness/engine-host.js';
import type { RelaySocket } from '../../main/engine/relay/relay-socket.js';
import type { EngineEvent } from '../../shared/api/contract.js';
import { type BenchFigures, type BenchSuite } from '../run.js';
import { round, startUiWorld } from '../ui-world.js';

const MESSAGES = 5_000;

interface Round {
  /** Reconnection → the engine announced the last message (ms). */
  readonly engineMs: number;
  /** Reconnection → the last message painted in view (ms; null when not asked). */
  readonly paintedMs: number | null;
  readonly fps: number;
  readonly worstFrameMs: number;
}

/** Cuts Amina's connection, lets `sender` write, reconnects, and times what follows. */
async function catchUp(
  amina: EngineHost,
  sender: EngineHost,
  page: Page,
  label: string,
  waitForView: boolean,
  log: (line: string) => void,
): Promise<Round> {
  const engine = amina.current!;
  // The network goes: Amina's engine is cut from the relay.
  const socket = (engine as unknown as { socket: RelaySocket }).socket;
  socket.stop();
  log(`${label}: ${sender.options.profile} writes ${MESSAGES.toLocaleString('en-US')} messages`);
  let last = '';
  for (let i = 1; i <= MESSAGES; i++) {
    const sent = await sender.current!.sendText('amina', `${label} ${i}`);
    if (!sent.ok) throw new Error(sent.error.message);
    last = sent.value.id;
  }
  await sender.current!.whenSent(last);

  // Frames counted in the page from just before the connection comes back.
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __stop: boolean };
    w.__frames = [];
    w.__stop = false;
    const frame = (now: number) => {
      w.__frames.push(now);
      if (!w.__stop) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  let start = 0;
  const announced = new Promise<number>((resolve) => {
    const onEvent = (event: EngineEvent) => {
      if (event.type === 'message' && event.message.id === last) {
        engine.off('event', onEvent);
        resolve(performance.now() - start);
      }
    };
    engine.on('event', onEvent);
  });
  log(`${label}: the connection comes back`);
  const pageStart = await page.evaluate(() => performance.now());
  start = performance.now();
  socket.start();
  const engineMs = await announced;
  let paintedAt = pageStart + engineMs;
  if (waitForView) {
    await page.locator(`[data-message-id="${last}"]`).waitFor({ timeout: 120_000 });
    // The page's clock when that message is painted in view (null: the view did not
    // follow, and the message stayed below it for 30 s).
    const inView = await page.evaluate(
      (id) =>
        new Promise<number | null>((resolve) => {
          const w = window as unknown as { __inView: (el: Element) => boolean };
          const deadline = performance.now() + 30_000;
          const step = () => {
            const el = document.querySelector(`[data-message-id="${id}"]`);
            if (el !== null && w.__inView(el)) {
              requestAnimationFrame(() => resolve(performance.now()));
            } else if (performance.now() > deadline) {
              resolve(null);
            } else {
              requestAnimationFrame(step);
            }
          };
          step();
        }),
      last,
    );
    if (inView === null) {
      throw new Error('The view did not follow the catch-up to its last message.');
    }
    paintedAt = inView;
  } else {
    await amina.current!.whenCaughtUp();
  }
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __stop: boolean };
    w.__stop = true;
    return w.__frames;
  });
  const during = frames.filter((t) => t >= pageStart && t <= paintedAt);
  let worst = 0;
  for (let i = 1; i < during.length; i++) worst = Math.max(worst, during[i]! - during[i - 1]!);
  const ms = paintedAt - pageStart;
  return {
    engineMs,
    paintedMs: waitForView ? ms : null,
    fps: (during.length * 1000) / ms,
    worstFrameMs: worst,
  };
}

const suite: BenchSuite = {
  description: `${MESSAGES.toLocaleString('en-US')} messages caught up into the open conversation, in Chromium: painted / engine ≤ 1.5, fps ≥ 0.5 × a page showing another conversation`,
  async run(log) {
    log('building the renderer');
    const world = await startUiWorld();
    try {
      const amina = await world.person('amina', 'Amina Ndayishimiye');
      const bernard = await world.person('bernard', 'Bernard Niyonzima');
      const claire = await world.person('claire', 'Claire Irakoze');
      for (const peer of [bernard, claire]) {
        const hello = await peer.current!.sendText('amina', 'Bonjour Amina');
        if (!hello.ok) throw new Error(hello.error.message);
        await peer.current!.whenSent(hello.value.id);
      }
      await amina.current!.whenCaughtUp();
      const page = await world.openApp(amina);
      const open = async (peer: string) => {
        await page.locator(`[data-conversation-id="direct:${peer}"]`).click();
        await page
          .locator(`[data-conversation-id="direct:${peer}"][aria-current="true"]`)
          .waitFor();
        await page.locator('article.message', { hasText: 'Bonjour Amina' }).waitFor();
      };

      await open('claire');
      const baseline = await catchUp(amina, bernard, page, 'Ailleurs', false, log);
      const measured = await catchUp(amina, claire, page, 'Rattrapage', true, log);

      const ratio = measured.paintedMs! / measured.engineMs;
      const fpsRatio = measured.fps / baseline.fps;
      const figures: BenchFigures = {
        messages: MESSAGES,
        engine_last_ms: Math.round(measured.engineMs),
        painted_last_ms: Math.round(measured.paintedMs!),
        catch_up_ratio: round(ratio, 2),
        catch_up_fps: round(measured.fps),
        baseline_fps: round(baseline.fps),
        baseline_engine_last_ms: Math.round(baseline.engineMs),
        fps_ratio: round(fpsRatio, 2),
        worst_frame_ms: round(measured.worstFrameMs),
        baseline_worst_frame_ms: round(baseline.worstFrameMs),
        targets_met: ratio <= 1.5 && fpsRatio >= 0.5,
      };
      return figures;
    } finally {
      await world.close();
    }
  },
};

export default suite;
