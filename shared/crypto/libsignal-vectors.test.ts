// Reproduces libsignal's published vectors byte for byte, with libsignal's own
// KDF info strings passed as parameters (LIBSIGNAL_PROTOCOL). Source: the public
// signalapp/libsignal repository, rust/protocol/src/ratchet/keys.rs
// (test_chain_key_derivation) and rust/protocol/tests/ratchet.rs
// (test_ratcheting_session_as_bob / _as_alice). libsignal's public keys carry a
// 0x05 type prefix, which is dropped here.
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../util/bytes.js';
import {
  LIBSIGNAL_PROTOCOL,
  asEd25519PublicKey,
  asSymmetricKey,
  asX25519PublicKey,
  asX25519SecretKey,
  chainStep,
  initiatorSession,
  messageKeyMaterial,
  ready,
  responderSession,
  x25519PublicFromSecret,
  x3dhInitiator,
  x3dhResponder,
} from './index.js';

const djb = (hex: string) => {
  const bytes = fromHex(hex);
  expect(bytes[0]).toBe(0x05);
  return asX25519PublicKey(bytes.slice(1));
};
const secret = (hex: string) => asX25519SecretKey(fromHex(hex));

const bobEphemeralPublic = '052cb49776b8770205745a3a6e24f579cdb4ba7a89041005928ebbadc9c05ad458';
const bobEphemeralPrivate = 'a1cab48f7c893fafa9880a28c3b4999d28d6329562d27a4ea4e22e9ff1bdd65a';
const bobIdentityPublic = '05f1f43874f6966956c2dd473f8fa15adeb71d1cb991b2341692324cefb1c5e626';
const bobIdentityPrivate = '4875cc69ddf8ea0719ec947d61081135868d5fd801f02c0225e516df2156605e';
const aliceBasePublic = '05472d1fb1a9862c3af6beaca8920277e2b26f4a79213ec7c906aeb35e03cf8950';
const aliceBasePrivate = '11ae7c64d1e61cd596b76a0db5012673391cae66edbfcf073b4da80516a47449';
const aliceIdentityPublic = '05b4a8455660ada65b401007f615e654041746432e3339c6875149bceefcb42b4a';
const aliceIdentityPrivate = '9040f0d4e09cf38f6dc7c13779c908c015a1da4fa78737a080eb0a6f4f5f8f58';
const bobSignedPrekeyPublic = '05ac248a8f263be6863576eb0362e28c828f0107a3379d34bab1586bf8c770cd67';
const bobSignedPrekeyPrivate = '583900131fb727998b7803fe6ac22cc591f342e4e42a8c8d5d78194209b8d253';

beforeAll(ready);

describe('libsignal vectors', () => {
  it('chain key derivation (keys.rs test_chain_key_derivation)', () => {
    const chainKey = asSymmetricKey(
      fromHex('8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f'),
    );
    const step = chainStep(chainKey);
    const keys = messageKeyMaterial(step.messageKeySeed, LIBSIGNAL_PROTOCOL.messageKeys!);
    expect(keys.length).toBe(80);
    expect(toHex(keys.subarray(0, 32))).toBe(
      'bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217',
    );
    expect(toHex(keys.subarray(32, 64))).toBe(
      'c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b',
    );
    expect(toHex(step.nextChainKey)).toBe(
      '28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d',
    );
  });

  it("session setup as Bob (ratchet.rs test_ratcheting_session_as_bob): Bob's sending chain", () => {
    // The listed private keys match their public keys.
    expect(toHex(x25519PublicFromSecret(secret(bobIdentityPrivate)))).toBe(
      bobIdentityPublic.slice(2),
    );
    expect(toHex(x25519PublicFromSecret(secret(bobSignedPrekeyPrivate)))).toBe(
      bobSignedPrekeyPublic.slice(2),
    );
    const secrets = x3dhResponder(
      {
        ourIdentity: secret(bobIdentityPrivate),
        ourSignedPrekey: secret(bobSignedPrekeyPrivate),
        ourOneTimePrekey: null,
        theirIdentity: djb(aliceIdentityPublic),
        theirBase: djb(aliceBasePublic),
      },
      LIBSIGNAL_PROTOCOL,
    );
    const bob = responderSession({
      localIdentity: asEd25519PublicKey(djb(bobIdentityPublic)),
      localDeviceId: 1,
      remoteIdentity: asEd25519PublicKey(djb(aliceIdentityPublic)),
      remoteDeviceId: 1,
      baseKey: djb(aliceBasePublic),
      rootKey: secrets.rootKey,
      chainKey: secrets.chainKey,
      ourRatchet: { publicKey: djb(bobEphemeralPublic), secretKey: secret(bobEphemeralPrivate) },
    });
    expect(toHex(bob.sending.chainKey)).toBe(
      '9797caca53c989bbe229a40ca7727010eb2604fc14945d77958a0aeda088b44d',
    );
  });

  it("session setup as Alice (ratchet.rs test_ratcheting_session_as_alice): Alice's receiving chain", () => {
    // As the architecture brief notes, this test's base private key does not match
    // its base public key; the expected chain is right for the private key given.
    expect(toHex(x25519PublicFromSecret(secret(aliceBasePrivate)))).not.toBe(
      aliceBasePublic.slice(2),
    );
    const secrets = x3dhInitiator(
      {
        ourIdentity: secret(aliceIdentityPrivate),
        ourBase: secret(aliceBasePrivate),
        theirIdentity: djb(bobIdentityPublic),
        theirSignedPrekey: djb(bobSignedPrekeyPublic),
        theirOneTimePrekey: null,
      },
      LIBSIGNAL_PROTOCOL,
    );
    const alice = initiatorSession(
      {
        localIdentity: asEd25519PublicKey(djb(aliceIdentityPublic)),
        localDeviceId: 1,
        remoteIdentity: asEd25519PublicKey(djb(bobIdentityPublic)),
        remoteDeviceId: 1,
        baseKey: djb(aliceBasePublic),
        rootKey: secrets.rootKey,
        chainKey: secrets.chainKey,
        theirRatchetKey: djb(bobEphemeralPublic),
        pendingPrekey: null,
      },
      LIBSIGNAL_PROTOCOL,
    );
    expect(toHex(alice.receiving!.ratchetKey)).toBe(bobEphemeralPublic.slice(2));
    expect(toHex(alice.receiving!.chainKey)).toBe(
      'ab9be50e5cb22a925446ab90ee5670545f4fd32902459ec274b6ad0ae5d6031a',
    );
  });
});
