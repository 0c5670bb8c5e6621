// `npm run bench -- directory`: opening the directory (« Annuaire ») of a ministry-wide
// intranet: 3,000 people on the relay. `contacts()` fetches the whole directory, checks
// every device certificate against the pinned relay key and records it in the store.
// Baseline in the same run: the same fetch of the directory alone (HTTP and decoding),
// so `ratio` = fetch / contacts() of a changed directory says how much of the wait is
// the engine's own work. An unchanged directory is not sent again (ETag, 304):
// `contacts_unchanged_ms`. Medians of 7 opens of each kind, after a first one.
import type { RelayHttp } from '../../main/engine/relay/relay-http.js';
import { openStore } from '../../relay/data-dir.js';
import { hashEnrolmentCode } from '../../relay/http/directory-routes.js';
import { ready } from '../../shared/crypto/index.js';
import { generateEnrolmentCode, normaliseEnrolmentCode } from '../../shared/wire/index.js';
import { TestRelay, Workspace } from '../../test/engine/support.js';
import type { BenchSuite } from '../run.js';

const PEOPLE = 3_000;
const ENROLLED = 20;
const OPENS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

const suite: BenchSuite = {
  description: `open the directory of ${PEOPLE} people (fetch, certificates checked, recorded); baseline: the fetch alone`,
  async run(log) {
    await ready();
    const relay = await TestRelay.start();
    const ws = new Workspace(relay);
    try {
      log(`inviting ${PEOPLE} people, ${ENROLLED} of them with a device…`);
      const store = openStore(relay.dataDir);
      const now = Date.now();
      for (let i = ENROLLED; i < PEOPLE; i++) {
        await store.inviteUser(
          {
            userId: `agent${i}`,
            displayName: `Agent ${i}`,
            institution: `Ministère ${i % 20}`,
            title: 'Conseiller',
          },
          hashEnrolmentCode(normaliseEnrolmentCode(generateEnrolmentCode())!),
          now,
          now + 3_600_000,
        );
      }
      store.close();
      for (let i = 0; i < ENROLLED; i++) await ws.enrol(`agent${i}`);
      const alice = await ws.enrol('alice');
      const http = (alice as unknown as { http: RelayHttp }).http;

      const first = performance.now();
      const listed = await alice.contacts();
      if (!listed.ok || listed.value.length !== PEOPLE) throw new Error('directory incomplete');
      const firstMs = performance.now() - first;
      const fetches: number[] = [];
      const unchanged: number[] = [];
      const changed: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        let t = performance.now();
        await http.directory();
        fetches.push(performance.now() - t);
        // Nothing new since the last open: the relay answers 304.
        t = performance.now();
        const same = await alice.contacts();
        if (!same.ok) throw new Error(same.error.message);
        unchanged.push(performance.now() - t);
        // Someone new: the whole directory comes again and is recorded.
        await relay.invite(`newcomer${i}`);
        t = performance.now();
        const again = await alice.contacts();
        if (!again.ok || again.value.length !== PEOPLE + i + 1) throw new Error('newcomer missing');
        changed.push(performance.now() - t);
      }
      const fetchMs = median(fetches);
      const changedMs = median(changed);
      const unchangedMs = median(unchanged);
      log(
        `first open ${firstMs.toFixed(0)} ms; changed ${changedMs.toFixed(0)} ms, unchanged ${unchangedMs.toFixed(0)} ms; fetch alone ${fetchMs.toFixed(0)} ms`,
      );
      return {
        people: PEOPLE,
        first_open_ms: round1(firstMs),
        contacts_changed_ms: round1(changedMs),
        contacts_unchanged_ms: round1(unchangedMs),
        baseline_fetch_ms: round1(fetchMs),
        ratio: Math.round((fetchMs / changedMs) * 1000) / 1000,
      };
    } finally {
      await ws.close();
      await relay.close();
    }
  },
};

export default suite;
