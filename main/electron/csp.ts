// The Content-Security-Policy of the app: no remote origin at all. The renderer
// is served from the app's own protocol; the engine is reached over a MessagePort
// (no network), so `connect-src` names only the app itself. The browser harness
// adds its loopback WebSocket to the same list.
export const APP_SCHEME = 'app';
export const APP_HOST = 'comgov';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export function contentSecurityPolicy(extraConnect: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    ["connect-src 'self'", ...extraConnect].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
