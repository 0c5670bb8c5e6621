// Signed acknowledgements ("pris connaissance") through the engine, with a real relay:
// a message that asks for them is acknowledged by its recipients, each with their
// device's certified identity key; the author and the other members see who did, and
// when; the evidence checks out against the relay key alone; a forged, misdirected or
// mismatched acknowledgement is refused; the message can no longer be edited.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sign } from '../../shared/crypto/index.js';
import {
  acknowledgedDigest,
  acknowledgementSignedBytes,
} from '../../main/engine/acknowledgements/acknowledgement-bytes.js';
import { verifyAcknowledgement } from '../../main/engine/acknowledgements/acknowledgements.js';
import { encodeContent, newMessageId } from '../../main/engine/content.js';
import type { Engine } from '../../main/engine/engine.js';
import { eventually, freshRelayPerTest, received, sendRawContent, unwrap } from './support.js';

const ackedBy = (engine: Engine, id: string) =>
  engine.messages.message(id)?.acknowledgement?.by.map((b) => b.userId);

const sendRaw = (
  from: Engine,
  value: Parameters<typeof encodeContent>[0] & { case: 'data' },
  to: { users: string[]; syncDestination: null; group?: string },
) => sendRawContent(from, encodeContent(value), to);

const certificateOf = (engine: Engine) =>
  new Uint8Array(engine.db.prepare('SELECT certificate FROM account').pluck().get() as Uint8Array);

describe('signed acknowledgements', () => {
  const env = freshRelayPerTest();

  it('a recipient acknowledges; the author sees it, with evidence that checks out', async () => {
    const alice = await env.ws.enrol('alice');
    const bob = await env.ws.enrol('bob');
    alice.start();
    bob.start();
    const text = 'Note de service n° 12 : merci d’en prendre connaissance.';
    const sent = unwrap(await alice.sendText('bob', text, { requestAcknowledgement: true }));
    expect(sent.acknowledgement).toEqual({ requested: true, by: [] });
    const atBob = await received(bob, text);
    expect(atBob.acknowledgement).toEqual({ requested: true, by: [] });

    // What was asked to be acknowledged stays as it was sent.
    const edit = await alice.editMessage(sent.id, 'Texte changé après coup.');
    expect(edit.ok ? 'edited' : edit.error.code).toBe('NOT_ALLOWED');
    const own = await alice.acknowledge(sent.id);
    expect(own.ok ? 'acknowledged' : own.error.code).toBe('NOT_ALLOWED');

    const before = Date.now();
    const acked = unwrap(await bob.acknowledge(sent.id));
    expect(acked.acknowledgement?.by.map((b) => b.userId)).toEqual(['bob']);
    await eventually(
      () => (ackedBy(alice, sent.id)?.length ? true : undefined),
      'the ack at Alice',
    );
    const by = alice.messages.message(sent.id)!.acknowledgement!.by;
    expect(by).toEqual([{ userId: 'bob', at: expect.any(Number) }]);
    expect(by[0]!.at).toBeGreaterThanOrEqual(before);
    // Once per person: acknowledging again changes nothing.
    unwrap(await bob.acknowledge(sent.id));
    expect(bob.acknowledgementEvidence(sent.id).acknowledgements).toHaveLength(1);

    // The evidence: anyone with the relay's public key can check it, from the message's
    // own text (not from Alice's store).
    const evidence = alice.acknowledgementEvidence(sent.id);
    expect(evidence.acknowledgements).toHaveLength(1);
    const proof = evidence.acknowledgements[0]!;
    expect(proof.valid).toBe(true);
    const digest = acknowledgedDigest({
      author: 'alice',
      id: sent.id,
      sentAt: sent.sentAt,
      body: text,
      files: [],
    });
    expect(proof.digest).toEqual(digest);
    const certificate = verifyAcknowledgement(env.relay.publicKey, {
      signer: 'bob',
      signerDevice: proof.deviceId,
      targetId: sent.id,
      targetAuthor: 'alice',
      digest,
      at: proof.at,
      certificate: proof.certificate,
      signature: proof.signature,
    });
    expect(certificate.userId).toBe('bob');
    // The same signature does not hold for another text.
    expect(() =>
      verifyAcknowledgement(env.relay.publicKey, {
        signer: 'bob',
        signerDevice: proof.deviceId,
        targetId: sent.id,
        targetAuthor: 'alice',
        digest: acknowledgedDigest({
          author: 'alice',
          id: sent.id,
          sentAt: sent.sentAt,
          body: 'Texte changé après coup.',
          files: [],
        }),
        at: proof.at,
        certificate: proof.certificate,
        signature: proof.signature,
      }),
    ).toThrow(/not signed by bob/);

    // An edit arriving from the network for such a message is ignored.
    sendRaw(
      alice,
      {
        case: 'data',
        value: {
          id: newMessageId(),
          sentAt: BigInt(Date.now()),
          groupId: '',
          kind: { case: 'edit', value: { targetId: sent.id, body: 'Texte changé après coup.' } },
        },
      },
      { users: ['bob'], syncDestination: null },
    );
    unwrap(await alice.sendText('bob', 'Après la tentative.'));
    await received(bob, 'Après la tentative.');
    expect(bob.messages.message(sent.id)?.text).toBe(text);
  });

  it('a file asked to be acknowledged, and a group where every member sees who did', async () => {
    const alice = await env.ws.enrol('alice');
    const bob = await env.ws.enrol('bob');
    const carol = await env.ws.enrol('carol');
    for (const e of [alice, bob, carol]) e.start();
    const file = path.join(env.ws.dataDir('files'), 'décret.pdf');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(70_000, 9));
    const sentFile = unwrap(await alice.sendFile('bob', file, { requestAcknowledgement: true }));
    const fileAtBob = await eventually(
      () => bob.messages.message(sentFile.id) ?? undefined,
      'the file at Bob',
    );
    expect(fileAtBob.acknowledgement?.requested).toBe(true);
    unwrap(await bob.acknowledge(sentFile.id));
    await eventually(() => (ackedBy(alice, sentFile.id)?.length ? true : undefined), 'file ack');
    expect(alice.acknowledgementEvidence(sentFile.id).acknowledgements[0]!.valid).toBe(true);

    const group = unwrap(await alice.createGroup('Cabinet', ['bob', 'carol']));
    for (const e of [bob, carol]) {
      await eventually(
        () => (e.messages.conversationExists(group.id) ? true : undefined),
        'the group',
      );
    }
    const circular = unwrap(
      await alice.sendText(group.id, 'Circulaire : réunion lundi à 9 h.', {
        requestAcknowledgement: true,
      }),
    );
    await received(bob, 'Circulaire : réunion lundi à 9 h.');
    await received(carol, 'Circulaire : réunion lundi à 9 h.');
    unwrap(await bob.acknowledge(circular.id));
    unwrap(await carol.acknowledge(circular.id));
    for (const e of [alice, bob, carol]) {
      await eventually(
        () => (ackedBy(e, circular.id)?.length === 2 ? true : undefined),
        'both acks everywhere',
      );
      expect([...ackedBy(e, circular.id)!].sort()).toEqual(['bob', 'carol']);
    }
  });

  it('refuses forged, misdirected and mismatched acknowledgements', async () => {
    const alice = await env.ws.enrol('alice');
    const bob = await env.ws.enrol('bob');
    const carol = await env.ws.enrol('carol');
    for (const e of [alice, bob, carol]) e.start();
    const sent = unwrap(
      await alice.sendText('bob', 'Instruction confidentielle.', { requestAcknowledgement: true }),
    );
    await received(bob, 'Instruction confidentielle.');
    const plain = unwrap(await alice.sendText('bob', 'Message ordinaire.'));
    await received(bob, 'Message ordinaire.');
    const bobDevice = bob.me.deviceId;
    const trueDigest = acknowledgedDigest({
      author: 'alice',
      id: sent.id,
      sentAt: sent.sentAt,
      body: 'Instruction confidentielle.',
      files: [],
    });
    const forge = (
      from: Engine,
      fields: { targetId: string; digest: Uint8Array; signer: string; device: number },
      options: { badSignature?: boolean; certificateOf?: Engine } = {},
    ) => {
      const at = Date.now();
      const signed = acknowledgementSignedBytes({
        signer: fields.signer,
        signerDevice: fields.device,
        targetId: fields.targetId,
        targetAuthor: 'alice',
        digest: fields.digest,
        at,
      });
      const signature = sign(from.me.identity.secretKey, signed);
      if (options.badSignature) signature[0] = signature[0]! ^ 1;
      sendRaw(
        from,
        {
          case: 'data',
          value: {
            id: newMessageId(),
            sentAt: BigInt(at),
            groupId: '',
            kind: {
              case: 'acknowledgement',
              value: {
                targetId: fields.targetId,
                targetAuthor: 'alice',
                digest: fields.digest,
                at: BigInt(at),
                certificate: certificateOf(options.certificateOf ?? from),
                signature,
              },
            },
          },
        },
        { users: ['alice'], syncDestination: null },
      );
    };
    const refusals = () => alice.failedEnvelopes().filter((f) => f.code === 'BAD_ACKNOWLEDGEMENT');
    const expectRefusals = (n: number, reason: RegExp) =>
      eventually(
        () => (refusals().length === n ? true : undefined),
        `acknowledgement refusal ${n}`,
      ).then(() => expect(refusals()[n - 1]!.reason).toMatch(reason));

    // A signature that does not verify.
    forge(
      bob,
      { targetId: sent.id, digest: trueDigest, signer: 'bob', device: bobDevice },
      {
        badSignature: true,
      },
    );
    await expectRefusals(1, /not signed by bob/);
    // Another text than the one sent (signed properly).
    forge(bob, {
      targetId: sent.id,
      digest: new Uint8Array(32).fill(7),
      signer: 'bob',
      device: bobDevice,
    });
    await expectRefusals(2, /another text or other files/);
    // Bob passing off Carol's certificate as his own.
    forge(
      bob,
      { targetId: sent.id, digest: trueDigest, signer: 'bob', device: bobDevice },
      { certificateOf: carol },
    );
    await expectRefusals(3, /certificate is not the relay's for bob/);
    // A message that never asked for an acknowledgement.
    forge(bob, { targetId: plain.id, digest: trueDigest, signer: 'bob', device: bobDevice });
    await expectRefusals(4, /unknown or did not ask/);
    // A valid acknowledgement sent through another conversation (a group with Alice).
    const group = unwrap(await alice.createGroup('Cabinet', ['bob']));
    await eventually(
      () => (bob.messages.conversationExists(group.id) ? true : undefined),
      'the group at Bob',
    );
    const at = Date.now();
    const fields = {
      signer: 'bob',
      signerDevice: bobDevice,
      targetId: sent.id,
      targetAuthor: 'alice',
      digest: trueDigest,
      at,
    };
    const groupId = group.id.slice('group:'.length);
    sendRawContent(
      bob,
      encodeContent({
        case: 'data',
        value: {
          id: newMessageId(),
          sentAt: BigInt(at),
          groupId,
          kind: {
            case: 'acknowledgement',
            value: {
              targetId: sent.id,
              targetAuthor: 'alice',
              digest: trueDigest,
              at: BigInt(at),
              certificate: certificateOf(bob),
              signature: sign(bob.me.identity.secretKey, acknowledgementSignedBytes(fields)),
            },
          },
        },
      }),
      { users: [], syncDestination: null, group: groupId },
    );
    await expectRefusals(5, /another conversation/);
    expect(ackedBy(alice, sent.id)).toEqual([]);

    const notAsked = await bob.acknowledge(plain.id);
    expect(notAsked.ok ? 'acknowledged' : notAsked.error.code).toBe('NOT_ALLOWED');
    const unknown = await bob.acknowledge('nope');
    expect(unknown.ok ? 'acknowledged' : unknown.error.code).toBe('UNKNOWN_MESSAGE');
  });
});
