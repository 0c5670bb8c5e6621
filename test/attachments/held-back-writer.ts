// A part writer that never has a batch free at once: each one is waited for, a little
// later, so that a direct download pauses its socket before every batch
// (main/engine/attachments/direct-get.ts). The bytes still go to the real writer.
import type { BatchWriter } from '../../main/engine/attachments/direct-get.js';
import type { PartWriter } from '../../main/engine/attachments/part-writer.js';

export function heldBack(writer: PartWriter, onWait: () => void = () => undefined): BatchWriter {
  return {
    takeFree: () => undefined,
    take: async () => {
      onWait();
      await new Promise((resolve) => setTimeout(resolve, 2));
      return writer.take();
    },
    put: (buffer, length) => writer.put(buffer, length),
    drain: () => writer.drain(),
  };
}
