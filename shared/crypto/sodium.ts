// The single door to libsodium. Everything in shared/crypto is synchronous once
// `ready()` has resolved; calling a primitive before that is a programming error
// and throws NOT_READY rather than failing somewhere inside WebAssembly.
import sodiumModule from 'libsodium-wrappers-sumo';
import { CryptoError } from './errors.js';

type Sodium = typeof sodiumModule;

let loaded: Sodium | undefined;

/** Resolves once libsodium's WebAssembly is loaded. Idempotent and cheap to call again. */
export async function ready(): Promise<void> {
  if (loaded) return;
  await sodiumModule.ready;
  loaded = sodiumModule;
}

/** The loaded libsodium instance. Throws NOT_READY before `await ready()`. */
export function sodium(): Sodium {
  if (!loaded) {
    throw new CryptoError(
      'NOT_READY',
      'The crypto library is not loaded yet: await ready() first.',
    );
  }
  return loaded;
}
