// Windows cannot open other windows, navigate away from the app, attach webviews,
// or get permissions other than notifications.
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './csp.js';
import { type HardenableContents, hardenContents, hardenSession } from './hardening.js';

type Listener = (event: { preventDefault(): void }, url: string) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents = {
    setWindowOpenHandler: (h: typeof openHandler) => {
      openHandler = h;
    },
    on(event: string, listener: Listener) {
      listeners.set(event, listener);
      return contents;
    },
  };
  const fire = (event: string, url = '') => {
    let prevented = false;
    listeners.get(event)!({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }) };
}

describe('hardening', () => {
  it('denies new windows, outside navigation and webviews', () => {
    const { contents, fire, open } = fakeContents();
    hardenContents(contents as unknown as HardenableContents);
    expect(open('https://example.org/').action).toBe('deny');
    expect(open('app://comgov/index.html').action).toBe('deny');
    expect(fire('will-navigate', 'https://example.org/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-redirect', 'http://127.0.0.1:8080/')).toBe(true);
    expect(fire('will-navigate', 'app://comgov/index.html')).toBe(false);
    expect(fire('will-attach-webview')).toBe(true);
  });

  it('grants notifications to the app only, and nothing else', () => {
    let request:
      | ((c: unknown, p: string, cb: (g: boolean) => void, d: { requestingUrl: string }) => void)
      | null = null;
    let check: ((c: unknown, p: string, o: string) => boolean) | null = null;
    hardenSession({
      setPermissionRequestHandler: (h) => (request = h),
      setPermissionCheckHandler: (h) => (check = h),
    });
    const ask = (permission: string, url: string) => {
      let granted: boolean | undefined;
      request!(null, permission, (g) => (granted = g), { requestingUrl: url });
      return granted;
    };
    expect(ask('notifications', 'app://comgov/index.html')).toBe(true);
    expect(ask('notifications', 'https://example.org/')).toBe(false);
    for (const p of ['media', 'geolocation', 'openExternal', 'clipboard-read', 'display-capture']) {
      expect(ask(p, 'app://comgov/index.html')).toBe(false);
      expect(check!(null, p, 'app://comgov')).toBe(false);
    }
    expect(check!(null, 'notifications', 'app://comgov')).toBe(true);
  });

  it('allows no remote origin in the Content-Security-Policy', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:|\*|unsafe-inline|unsafe-eval/);
  });
});
