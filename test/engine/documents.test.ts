// Signed documents (« attestation d'intégrité ») through the engine, with a real relay:
// a file sent signed carries its SHA-256 and its signer's signature, which every
// receiver checks (a forged one makes the message refused); a signed file is written
// out only if its content is the one signed; any copy of a file can be checked against
// the signed documents of the store; the signature travels with forwards; it goes when
// the file disappears.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeContent, newMessageId } from '../../main/engine/content.js';
import { signDocument, verifyDocumentSignature } from '../../main/engine/documents/documents.js';
import type { Engine } from '../../main/engine/engine.js';
import { randomBytes } from '../../shared/crypto/index.js';
import { eventually, freshRelayPerTest, sendRawContent, unwrap } from './support.js';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The first received file called `name` in `conversation`. */
function fileAt(engine: Engine, conversation: string, name: string) {
  return eventually(() => {
    const message = engine.messages
      .messages(conversation)
      .find((m) => m.attachments?.some((a) => a.name === name));
    return message
      ? { message, attachment: message.attachments!.find((a) => a.name === name)! }
      : undefined;
  }, `the file ${name} at ${engine.me.userId}`);
}

function certificateOf(engine: Engine): Uint8Array {
  return new Uint8Array(
    engine.db.prepare('SELECT certificate FROM account WHERE id = 1').pluck().get() as Uint8Array,
  );
}

describe('signed documents', () => {
  const env = freshRelayPerTest();

  async function people() {
    const amina = await env.ws.enrol('amina');
    const benoit = await env.ws.enrol('benoit');
    const chantal = await env.ws.enrol('chantal');
    for (const e of [amina, benoit, chantal]) e.start();
    return { amina, benoit, chantal };
  }

  it('travels signed, is saved only as signed, and any copy can be checked', async () => {
    const { amina, benoit, chantal } = await people();
    const bytes = randomBytes(300_000);
    const file = env.ws.dataDir('note-de-service.pdf');
    writeFileSync(file, bytes);

    const sent = unwrap(await amina.sendFile('benoit', file, { signDocument: true }));
    const mine = sent.attachments![0]!.document!;
    expect(mine).toMatchObject({ signerId: 'amina', sha256: sha256Hex(bytes) });

    const { message, attachment } = await fileAt(benoit, 'direct:amina', 'note-de-service.pdf');
    expect(attachment.document).toEqual({
      ...mine,
      signerName: 'Amina',
      signerInstitution: 'Ministère des tests',
    });

    const out = env.ws.dataDir('saved.pdf');
    unwrap(await benoit.saveAttachment(attachment.id, out));
    expect(sha256Hex(readFileSync(out))).toBe(mine.sha256);

    // A copy received by other means: identical, or not.
    const copy = env.ws.dataDir('copie.pdf');
    writeFileSync(copy, bytes);
    const check = unwrap(await benoit.verifyDocument(copy));
    expect(check).toMatchObject({ sha256: mine.sha256, size: bytes.length });
    expect(check.matches).toEqual([
      expect.objectContaining({
        signerId: 'amina',
        name: 'note-de-service.pdf',
        size: bytes.length,
        messageId: message.id,
        conversationId: 'direct:amina',
      }),
    ]);
    const altered = Uint8Array.from(bytes);
    altered[150_000] = altered[150_000]! ^ 1;
    writeFileSync(copy, altered);
    expect(unwrap(await benoit.verifyDocument(copy)).matches).toEqual([]);
    expect(unwrap(await amina.verifyDocument(file)).matches).toHaveLength(1);
    expect((await benoit.verifyDocument(env.ws.dataDir('absent.pdf'))).ok).toBe(false);

    // Forwarded, it is still Amina's signature, checked by Chantal.
    unwrap(await benoit.forwardMessage(message.id, 'chantal'));
    const atChantal = await fileAt(chantal, 'direct:benoit', 'note-de-service.pdf');
    expect(atChantal.attachment.document).toMatchObject({ signerId: 'amina', sha256: mine.sha256 });

    // The evidence checks out from its parts alone.
    const evidence = benoit.documentEvidence(attachment.id);
    expect(evidence.valid).toBe(true);
    const again = verifyDocumentSignature(
      env.relay.publicKey,
      {
        sha256: Buffer.from(evidence.sha256, 'hex'),
        signedAt: BigInt(evidence.signedAt),
        certificate: evidence.certificate,
        signature: evidence.signature,
      },
      { name: evidence.name, size: evidence.size },
    );
    expect(again.signer).toBe('amina');
  });

  it('refuses a forged signature; a signature of other content writes nothing out', async () => {
    const { amina, benoit, chantal } = await people();
    const file = env.ws.dataDir('rapport.pdf');
    const bytes = randomBytes(70_000);
    writeFileSync(file, bytes);
    const { descriptor } = await amina.attachments.upload(file);
    const send = (name: string, document: ReturnType<typeof signDocument>, flip = false) => {
      const signature = Uint8Array.from(document.signature);
      if (flip) signature[10] = signature[10]! ^ 1;
      sendRawContent(
        amina,
        encodeContent({
          case: 'data',
          value: {
            id: newMessageId(),
            sentAt: BigInt(Date.now()),
            kind: {
              case: 'text',
              value: {
                body: name,
                attachments: [
                  {
                    blobId: descriptor.blobId,
                    key: descriptor.key,
                    blake2b: descriptor.hash,
                    name: descriptor.name,
                    type: descriptor.type,
                    size: BigInt(descriptor.size),
                    chunkSize: descriptor.chunkSize,
                    document: {
                      sha256: document.sha256,
                      signedAt: BigInt(document.signedAt),
                      certificate: document.certificate,
                      signature,
                    },
                  },
                ],
              },
            },
          },
        }),
        { users: ['benoit'], syncDestination: 'benoit' },
      );
    };
    const truly = { name: descriptor.name, size: descriptor.size };
    const refusals = () =>
      benoit.failedEnvelopes().filter((f) => f.code === 'BAD_DOCUMENT_SIGNATURE');

    // A signature that does not verify.
    const good = signDocument(
      amina.me,
      certificateOf(amina),
      { ...truly, sha256: new Uint8Array(createHash('sha256').update(bytes).digest()) },
      Date.now(),
    );
    send('signature altérée', good, true);
    await eventually(() => (refusals().length === 1 ? true : undefined), 'the first refusal');
    expect(refusals()[0]!.reason).toMatch(/not signed by amina/);
    // Someone else's certificate under Amina's signature.
    send('certificat d’un autre', { ...good, certificate: certificateOf(chantal) });
    await eventually(() => (refusals().length === 2 ? true : undefined), 'the second refusal');

    // Amina's true signature, but of another content: the message is hers and shown,
    // its file is never written out.
    const other = signDocument(
      amina.me,
      certificateOf(amina),
      { ...truly, sha256: new Uint8Array(32).fill(7) },
      Date.now(),
    );
    send('autre contenu', other);
    const { attachment } = await fileAt(benoit, 'direct:amina', 'rapport.pdf');
    expect(attachment.document?.sha256).toBe('07'.repeat(32));
    const folder = env.ws.dataDir('sorties');
    mkdirSync(folder);
    const saved = await benoit.saveAttachment(attachment.id, path.join(folder, 'rapport.pdf'));
    expect(saved.ok ? 'saved' : saved.error.code).toBe('ATTACHMENT_CORRUPT');
    expect(saved.ok ? '' : saved.error.message).toMatch(/differs from the signed document/);
    expect(readdirSync(folder)).toEqual([]);
    expect(benoit.messages.messages('direct:amina').map((m) => m.text)).toEqual(['autre contenu']);
  });

  it('goes with its file when the message disappears', async () => {
    const { amina, benoit } = await people();
    const file = env.ws.dataDir('ephemere.pdf');
    writeFileSync(file, randomBytes(10_000));
    unwrap(await amina.sendText('benoit', 'Bonjour'));
    unwrap(await amina.setExpireTimer('direct:benoit', 1));
    unwrap(await amina.sendFile('benoit', file, { signDocument: true }));
    await fileAt(benoit, 'direct:amina', 'ephemere.pdf');
    expect(unwrap(await amina.verifyDocument(file)).matches).toHaveLength(1);
    await eventually(
      async () =>
        (await amina.verifyDocument(file)).ok &&
        unwrap(await amina.verifyDocument(file)).matches.length === 0
          ? true
          : undefined,
      'the signature erased with the file',
    );
    expect(existsSync(file)).toBe(true);
  });
});
