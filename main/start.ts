// `npm start`. The desktop app does not exist yet; this says so plainly and runs
// what does: a two-party demonstration of the protocol library (X3DH, Double
// Ratchet, Sender Keys, safety numbers), printing what each side sees.
import {
  acceptSession,
  createSenderKey,
  decryptMessage,
  encryptMessage,
  generateEd25519KeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  initiateSession,
  parsePrekeyMessage,
  publicSignedPrekey,
  ready,
  receiveSenderKeyDistribution,
  safetyNumber,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../shared/crypto/index.js';
import { fromUtf8, toHex, utf8 } from '../shared/util/bytes.js';

function section(title: string): void {
  console.log(`\n— ${title}`);
}

async function main(): Promise<void> {
  console.log(
    'COMGOV Messenger — only the end-to-end encryption library exists so far; the relay, ' +
      'the client engine and the desktop app come in the next stages.\n' +
      'This runs a demonstration of the protocol between two officials, entirely in memory.',
  );
  await ready();

  section('Keys');
  const alice = { identity: generateEd25519KeyPair(), deviceId: 1 };
  const bobIdentity = generateEd25519KeyPair();
  const bob = { identity: bobIdentity, deviceId: 1 };
  const bobSignedPrekey = generateSignedPrekey(bobIdentity, 1);
  const [bobOneTime] = generateOneTimePrekeys(1, 1);
  console.log(`Alice's identity key  ${toHex(alice.identity.publicKey)}`);
  console.log(`Bob's identity key    ${toHex(bob.identity.publicKey)}`);

  section('Session setup (X3DH) and first message');
  let aliceSession = initiateSession(alice, {
    identityKey: bob.identity.publicKey,
    deviceId: bob.deviceId,
    signedPrekey: publicSignedPrekey(bobSignedPrekey),
    oneTimePrekey: { id: bobOneTime!.id, publicKey: bobOneTime!.keyPair.publicKey },
  });
  const first = encryptMessage(aliceSession, utf8('Bonjour, la note est prête pour signature.'));
  aliceSession = first.state;
  console.log(`Alice sends a ${first.type} message of ${first.message.length} bytes.`);
  const accepted = acceptSession(
    bob,
    parsePrekeyMessage(first.message),
    bobSignedPrekey,
    bobOneTime!,
  );
  const bobSession = accepted.state;
  console.log(`Bob reads: « ${fromUtf8(accepted.plaintext)} »`);

  section('Reply (Double Ratchet)');
  // (An app stores each returned state; the demonstration stops after one reply.)
  const reply = encryptMessage(bobSession, utf8('Merci, je la signe ce matin.'));
  const read = decryptMessage(aliceSession, reply.message);
  console.log(`Bob sends a ${reply.type} message; Alice reads: « ${fromUtf8(read.plaintext)} »`);

  section('Group message (Sender Keys)');
  const senderKey = createSenderKey();
  const bobCopy = receiveSenderKeyDistribution(senderKeyDistribution(senderKey));
  const context = utf8('group:cabinet|alice|1');
  const groupMessage = senderKeyEncrypt(senderKey, utf8('Réunion de cabinet à 10 h.'), context);
  const groupRead = senderKeyDecrypt(bobCopy, groupMessage.message, context);
  console.log(`One ciphertext of ${groupMessage.message.length} bytes for the whole group.`);
  console.log(`Bob reads: « ${fromUtf8(groupRead.plaintext)} »`);

  section('Safety number (compare it in person or by phone)');
  const number = safetyNumber(
    { stableId: 'alice', publicKey: alice.identity.publicKey },
    { stableId: 'bob', publicKey: bob.identity.publicKey },
  );
  for (let i = 0; i < 12; i += 4) console.log(`  ${number.groups.slice(i, i + 4).join(' ')}`);
  console.log('\nDone. Run the tests with: npm test');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
