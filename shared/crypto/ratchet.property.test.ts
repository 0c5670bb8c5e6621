// Property tests of the Double Ratchet over a hostile network: random
// interleavings of both directions with loss, reordering and duplication.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, fromUtf8, toHex, utf8 } from '../util/bytes.js';
import {
  type SessionState,
  decodeSessionState,
  encodeSessionState,
  encryptMessage,
  initiateSession,
  isCryptoError,
  ready,
} from './index.js';
import { type TestDevice, makeDevice, receive, takeBundle } from './test-fixtures.js';

beforeAll(ready);

type Side = 'alice' | 'bob';

interface InFlight {
  readonly to: Side;
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** One simulated conversation: both parties' states plus the network in between. */
class Conversation {
  readonly devices: Record<Side, TestDevice> = { alice: makeDevice(1), bob: makeDevice(2) };
  readonly states: Record<Side, SessionState | null>;
  readonly network: InFlight[] = [];
  readonly delivered = new Set<string>();
  private counter = 0;

  constructor() {
    this.states = {
      alice: initiateSession(this.devices.alice.local, takeBundle(this.devices.bob)),
      bob: null,
    };
  }

  send(from: Side): void {
    const state = this.states[from];
    if (!state) return; // Bob cannot speak before he has heard from Alice
    const text = `${from}#${this.counter++} é’`;
    const result = encryptMessage(state, utf8(text));
    this.states[from] = result.state;
    this.network.push({ to: from === 'alice' ? 'bob' : 'alice', bytes: result.message, text });
  }

  /** Delivers (or, with keep, duplicates) the i-th message in flight. */
  deliver(i: number, keep: boolean): void {
    if (this.network.length === 0) return;
    const index = i % this.network.length;
    const m = this.network[index]!;
    if (!keep) this.network.splice(index, 1);
    const before = this.states[m.to];
    const beforeBytes = before ? encodeSessionState(before) : null;
    if (this.delivered.has(m.text)) {
      // A duplicate must be refused, and must leave the receiver's state unchanged.
      expect(() => receive(this.devices[m.to], before, m.bytes)).toThrow();
      if (before) expect(bytesEqual(encodeSessionState(before), beforeBytes!)).toBe(true);
      return;
    }
    const result = receive(this.devices[m.to], before, m.bytes);
    expect(fromUtf8(result.plaintext)).toBe(m.text);
    this.states[m.to] = result.state;
    this.delivered.add(m.text);
  }

  drop(i: number): void {
    if (this.network.length > 0) this.network.splice(i % this.network.length, 1);
  }

  roundTrip(side: Side): void {
    const s = this.states[side];
    if (s) this.states[side] = decodeSessionState(encodeSessionState(s));
  }
}

const command = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      side: fc.constantFrom<Side>('alice', 'bob'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      i: fc.nat(),
      keep: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), i: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('roundTrip' as const),
      side: fc.constantFrom<Side>('alice', 'bob'),
    }),
  },
);

describe('Double Ratchet under loss, reordering and duplication', () => {
  it('every message delivered decrypts exactly once to its plaintext', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (commands) => {
        const c = new Conversation();
        for (const cmd of commands) {
          if (cmd.kind === 'send') c.send(cmd.side);
          else if (cmd.kind === 'deliver') c.deliver(cmd.i, cmd.keep);
          else if (cmd.kind === 'drop') c.drop(cmd.i);
          else c.roundTrip(cmd.side);
        }
        // Then the network drains in a random-but-fixed order: everything still decrypts once.
        while (c.network.length > 0) c.deliver(c.network.length - 1, false);
      }),
      { numRuns: 1500 },
    );
  });

  it('a tampered header, ciphertext or version is refused without corrupting the state', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 5 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (warmup, position, flip) => {
          const c = new Conversation();
          c.send('alice');
          c.deliver(0, false);
          for (let i = 0; i < warmup; i++) {
            c.send(i % 2 === 0 ? 'bob' : 'alice');
            c.deliver(0, false);
          }
          c.send('bob');
          const m = c.network.pop()!;
          const tampered = m.bytes.slice();
          tampered[position % tampered.length]! ^= flip;
          const before = encodeSessionState(c.states.alice!);
          let refused = false;
          try {
            receive(c.devices.alice, c.states.alice, tampered);
          } catch (error) {
            refused = isCryptoError(error);
          }
          expect(refused).toBe(true);
          expect(bytesEqual(encodeSessionState(c.states.alice!), before)).toBe(true);
          // The genuine message still decrypts afterwards.
          c.network.push(m);
          c.deliver(0, false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('forward secrecy and post-compromise security', () => {
  it('after decrypting, the state cannot decrypt the same ciphertext and holds no old chain key', () => {
    fc.assert(
      fc.property(fc.nat({ max: 6 }), (rounds) => {
        const c = new Conversation();
        c.send('alice');
        c.deliver(0, false);
        for (let i = 0; i < rounds; i++) {
          c.send(i % 2 === 0 ? 'bob' : 'alice');
          c.deliver(0, false);
        }
        c.send('alice');
        const m = c.network.pop()!;
        const before = c.states.bob!;
        const oldChainKey = before.receiving?.chainKey;
        const oldRootKey = before.rootKey;
        const after = receive(c.devices.bob, before, m.bytes).state;
        expect(() => receive(c.devices.bob, after, m.bytes)).toThrow();
        const serialised = toHex(encodeSessionState(after));
        if (oldChainKey) expect(serialised.includes(toHex(oldChainKey))).toBe(false);
        if (!bytesEqual(after.rootKey, oldRootKey)) {
          expect(serialised.includes(toHex(oldRootKey))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a copy of a state taken before a DH round trip cannot decrypt what is sent after it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<Side>('alice', 'bob'), { maxLength: 8 }), (history) => {
        const c = new Conversation();
        c.send('alice');
        c.deliver(0, false);
        for (const side of history) {
          c.send(side);
          c.deliver(0, false);
        }
        // The attacker copies Alice's whole state, private keys included, and
        // then sees every message Bob sends her, and decrypts what it can.
        let attacker = c.states.alice!;
        const follow = (bytes: Uint8Array) => {
          try {
            attacker = receive(c.devices.alice, attacker, bytes).state;
            return true;
          } catch {
            return false;
          }
        };
        // Two DH round trips. Each time Alice receives a new ratchet key of Bob's she
        // answers on a fresh key pair the attacker has never seen.
        for (let round = 0; round < 2; round++) {
          c.send('bob');
          follow(c.network[0]!.bytes);
          c.deliver(0, false);
          c.send('alice');
          c.deliver(0, false);
        }
        c.send('bob');
        const after = c.network[0]!.bytes;
        c.deliver(0, false);
        expect(follow(after)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
