// The IPC names of the preload's door (same values as renderer/src/api/message-port-transport.ts,
// checked by test/desktop/bridge-names.test.ts).
export const PORT_MESSAGE = 'comgov:engine-port';
export const REQUEST_PORT = 'comgov:request-port';
