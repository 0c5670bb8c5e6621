// The preload and the renderer agree on the names of the port handover (they
// cannot import each other: the layers forbid it).
import { describe, expect, it } from 'vitest';
import { PORT_MESSAGE } from '../../main/electron/bridge-names.js';
import { PORT_MESSAGE as RENDERER_PORT_MESSAGE } from '../../renderer/src/api/message-port-transport.js';

describe('preload ↔ renderer', () => {
  it('use the same message name for the engine port', () => {
    expect(RENDERER_PORT_MESSAGE).toBe(PORT_MESSAGE);
  });
});
