import { beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, fromUtf8, utf8 } from '../util/bytes.js';
import {
  type CryptoError,
  MAX_SKIP,
  MAX_STORED_SKIPPED,
  type SessionState,
  decodeSessionState,
  encodeSessionState,
  encryptMessage,
  initiateSession,
  isCryptoError,
  ready,
  x25519,
  generateX25519KeyPair,
  asX25519PublicKey,
} from './index.js';
import { makeDevice, receive, takeBundle } from './test-fixtures.js';

beforeAll(ready);

function expectCode(fn: () => unknown, code: CryptoError['code']): void {
  try {
    fn();
  } catch (error) {
    expect(isCryptoError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    return;
  }
  throw new Error(`expected a CryptoError ${code}, nothing was thrown`);
}

function pair() {
  const alice = makeDevice(1);
  const bob = makeDevice(2);
  const aliceState = initiateSession(alice.local, takeBundle(bob));
  return { alice, bob, aliceState };
}

describe('1:1 sessions', () => {
  it('exchange both ways; prekey messages stop once the responder answers', () => {
    const { alice, bob, aliceState } = pair();
    let a = aliceState;
    let b: SessionState | null = null;

    const first = encryptMessage(a, utf8('Bonjour Monsieur le Ministre'));
    expect(first.type).toBe('prekey');
    a = first.state;
    const received = receive(bob, b, first.message);
    b = received.state;
    expect(fromUtf8(received.plaintext)).toBe('Bonjour Monsieur le Ministre');
    expect(bob.oneTimePrekeys.size).toBe(2); // the one-time prekey was consumed

    // A second message before any answer is still a prekey message of the same session.
    const second = encryptMessage(a, utf8('deuxième'));
    expect(second.type).toBe('prekey');
    a = second.state;
    const r2 = receive(bob, b, second.message);
    b = r2.state;
    expect(fromUtf8(r2.plaintext)).toBe('deuxième');

    const reply = encryptMessage(b, utf8('Bien reçu'));
    expect(reply.type).toBe('ratchet');
    const r3 = receive(alice, a, reply.message);
    a = r3.state;
    expect(fromUtf8(r3.plaintext)).toBe('Bien reçu');

    const third = encryptMessage(a, utf8('merci'));
    expect(third.type).toBe('ratchet');
    expect(fromUtf8(receive(bob, b, third.message).plaintext)).toBe('merci');
  });

  it('works without a one-time prekey', () => {
    const alice = makeDevice(1);
    const bob = makeDevice(2);
    const a = initiateSession(alice.local, takeBundle(bob, false));
    const m = encryptMessage(a, utf8('sans clé unique'));
    expect(fromUtf8(receive(bob, null, m.message).plaintext)).toBe('sans clé unique');
  });

  it('refuses a bundle whose signed prekey is not signed by its identity', () => {
    const alice = makeDevice(1);
    const bob = makeDevice(2);
    const mallory = makeDevice(3);
    const bundle = { ...takeBundle(bob), identityKey: mallory.local.identity.publicKey };
    expectCode(() => initiateSession(alice.local, bundle), 'BAD_PREKEY_SIGNATURE');
  });

  it('refuses a prekey message meant for another device', () => {
    const { bob, aliceState } = pair();
    const other = { ...bob, local: { ...bob.local, deviceId: 9 } };
    const m = encryptMessage(aliceState, utf8('x'));
    expectCode(() => receive(other, null, m.message), 'MALFORMED_MESSAGE');
  });

  it('refuses a message from a low-order ratchet key, leaving the state usable', () => {
    const { bob, aliceState } = pair();
    const m = encryptMessage(aliceState, utf8('x'));
    const b = receive(bob, null, m.message).state;
    const forged = encryptMessage(b, utf8('y')).message.slice();
    forged.set(new Uint8Array(32), 2); // ratchet key := the all-zero (low-order) point
    expectCode(() => receive(makeDevice(), { ...b, role: 'initiator' }, forged), 'LOW_ORDER_POINT');
  });

  it('rejects replays and duplicates without changing the state', () => {
    const { bob, aliceState } = pair();
    const m1 = encryptMessage(aliceState, utf8('un'));
    const m2 = encryptMessage(m1.state, utf8('deux'));
    let b = receive(bob, null, m1.message).state;
    b = receive(bob, b, m2.message).state;
    const before = encodeSessionState(b);
    expectCode(() => receive(bob, b, m2.message), 'DUPLICATE_MESSAGE');
    expectCode(() => receive(bob, b, m1.message), 'DUPLICATE_MESSAGE');
    expect(bytesEqual(encodeSessionState(b), before)).toBe(true);
  });

  it('refuses a gap over MAX_SKIP and keeps working afterwards', () => {
    const { bob, aliceState } = pair();
    let a = aliceState;
    const messages: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP + 1; i++) {
      const m = encryptMessage(a, utf8(`m${i}`));
      a = m.state;
      messages.push(m.message);
    }
    let b = receive(bob, null, messages[0]!).state;
    // index MAX_SKIP + 1 from receiving index 1: a gap of MAX_SKIP, allowed
    const ok = receive(bob, b, messages[MAX_SKIP + 1]!);
    expect(fromUtf8(ok.plaintext)).toBe(`m${MAX_SKIP + 1}`);
    expect(ok.state.skipped.length).toBe(MAX_SKIP);

    // A fresh responder that has read nothing: index MAX_SKIP + 1 is one too far.
    const { bob: bob2, aliceState: a2 } = pair();
    let s = a2;
    const ms: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP + 2; i++) {
      const m = encryptMessage(s, utf8(`n${i}`));
      s = m.state;
      ms.push(m.message);
    }
    b = receive(bob2, null, ms[0]!).state;
    expectCode(() => receive(bob2, b, ms[MAX_SKIP + 2]!), 'TOO_MANY_SKIPPED');
    const next = receive(bob2, b, ms[1]!);
    expect(fromUtf8(next.plaintext)).toBe('n1');
  });

  it('keeps at most MAX_STORED_SKIPPED skipped keys, evicting the oldest', () => {
    const { alice, bob, aliceState } = pair();
    let a = aliceState;
    let b: SessionState | null = null;
    // Three chains of 1,000 messages, of which only the last of each is delivered.
    for (let chain = 0; chain < 3; chain++) {
      const msgs: Uint8Array[] = [];
      for (let i = 0; i < 1000; i++) {
        const m = encryptMessage(a, utf8(`c${chain}-${i}`));
        a = m.state;
        msgs.push(m.message);
      }
      b = receive(bob, b, msgs[999]!).state;
      const reply = encryptMessage(b, utf8('ack'));
      b = reply.state;
      a = receive(alice, a, reply.message).state;
    }
    expect(b!.skipped.length).toBe(MAX_STORED_SKIPPED);
    // The oldest (chain 0, index 0..998) were evicted first: 999×3 = 2997 skipped in all.
    expect(b!.skipped[0]!.index).toBe(997);
  });

  it('round-trips the serialised state at any point', () => {
    const { alice, bob, aliceState } = pair();
    let a = decodeSessionState(encodeSessionState(aliceState));
    const m = encryptMessage(a, utf8('a'));
    a = decodeSessionState(encodeSessionState(m.state));
    let b = decodeSessionState(encodeSessionState(receive(bob, null, m.message).state));
    const r = encryptMessage(b, utf8('b'));
    b = r.state;
    a = decodeSessionState(encodeSessionState(receive(alice, a, r.message).state));
    expect(encodeSessionState(a)).toEqual(
      encodeSessionState(decodeSessionState(encodeSessionState(a))),
    );
    expect(fromUtf8(receive(bob, b, encryptMessage(a, utf8('c')).message).plaintext)).toBe('c');
  });

  it('refuses a damaged serialised state with MALFORMED_STATE', () => {
    const { aliceState } = pair();
    const bytes = encodeSessionState(aliceState);
    expectCode(() => decodeSessionState(bytes.subarray(0, bytes.length - 1)), 'MALFORMED_STATE');
    expectCode(() => decodeSessionState(new Uint8Array([...bytes, 0])), 'MALFORMED_STATE');
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 9;
    expectCode(() => decodeSessionState(wrongVersion), 'MALFORMED_STATE');
  });

  it('refuses messages of an unknown protocol version or type', () => {
    const { bob, aliceState } = pair();
    const m = encryptMessage(aliceState, utf8('x')).message.slice();
    m[0] = 2;
    expectCode(() => receive(bob, null, m), 'UNSUPPORTED_VERSION');
  });

  it('x25519 refuses low-order points', () => {
    const pairX = generateX25519KeyPair();
    expectCode(
      () => x25519(pairX.secretKey, asX25519PublicKey(new Uint8Array(32))),
      'LOW_ORDER_POINT',
    );
  });
});
