// X3DH key agreement (Signal's specification), with the device's Ed25519
// identity key converted to X25519 for the identity DH terms. The core
// functions take X25519 keys so that libsignal's vectors (whose identity keys
// are X25519) run through exactly this code.
import { type ProtocolInfo, type RootAndChain, x3dhKdf } from './kdf.js';
import type { X25519PublicKey, X25519SecretKey } from './keys.js';
import { x25519 } from './x25519.js';

export interface InitiatorAgreement {
  readonly ourIdentity: X25519SecretKey;
  readonly ourBase: X25519SecretKey;
  readonly theirIdentity: X25519PublicKey;
  readonly theirSignedPrekey: X25519PublicKey;
  readonly theirOneTimePrekey: X25519PublicKey | null;
}

export interface ResponderAgreement {
  readonly ourIdentity: X25519SecretKey;
  readonly ourSignedPrekey: X25519SecretKey;
  readonly ourOneTimePrekey: X25519SecretKey | null;
  readonly theirIdentity: X25519PublicKey;
  readonly theirBase: X25519PublicKey;
}

/** DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B). */
export function x3dhInitiator(a: InitiatorAgreement, info: ProtocolInfo): RootAndChain {
  const dh = [
    x25519(a.ourIdentity, a.theirSignedPrekey),
    x25519(a.ourBase, a.theirIdentity),
    x25519(a.ourBase, a.theirSignedPrekey),
  ];
  if (a.theirOneTimePrekey) dh.push(x25519(a.ourBase, a.theirOneTimePrekey));
  return x3dhKdf(dh, info.x3dhInfo);
}

/** The same four terms, computed from the responder's side. */
export function x3dhResponder(b: ResponderAgreement, info: ProtocolInfo): RootAndChain {
  const dh = [
    x25519(b.ourSignedPrekey, b.theirIdentity),
    x25519(b.ourIdentity, b.theirBase),
    x25519(b.ourSignedPrekey, b.theirBase),
  ];
  if (b.ourOneTimePrekey) dh.push(x25519(b.ourOneTimePrekey, b.theirBase));
  return x3dhKdf(dh, info.x3dhInfo);
}
