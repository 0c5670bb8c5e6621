// Icons drawn inline (no icon font, nothing fetched). Decorative: the control that
// holds an icon carries the accessible name.
const PATHS = {
  chat: 'M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z',
  contacts:
    'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9a7 7 0 0 1 14 0zm15-9a3 3 0 1 0 0-6m2 15h3a6 6 0 0 0-5-5.9',
  settings:
    'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm7.4-3a7.4 7.4 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7.6 7.6 0 0 0-2-1.2L14.5 3h-4l-.4 2.6a7.6 7.6 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7.6 7.6 0 0 0 2 1.2l.4 2.6h4l.4-2.6a7.6 7.6 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z',
  lock: 'M6 10V7a6 6 0 0 1 12 0v3m-13 0h14v11H5z',
  send: 'M3 20l18-8L3 4v6l12 2-12 2z',
  attach: 'M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5',
  reply: 'M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z',
  forward: 'M14 9V5l7 7-7 7v-4.1c-5 0-8.5 1.6-11 5.1 1-5 4-10 11-11z',
  smile: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14a4 4 0 0 0 7 0M9 9.5h.01M15 9.5h.01',
  edit: 'M4 20h4L19 9l-4-4L4 16zm9-13l4 4',
  trash: 'M4 7h16M9 7V4h6v3m-9 0l1 13h10l1-13',
  close: 'M6 6l12 12M18 6L6 18',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zm5-2l5 5',
  check: 'M4 12.5l5 5L20 7',
  checks: 'M1.5 12.5l5 5L17 7M11 16l1.5 1.5L23 7',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zm0-13v5l3 2',
  timer: 'M10 2h4m-2 0v3m0 16a8 8 0 1 0 0-16 8 8 0 0 0 0 16zm0-12v4l2.5 2.5M19 5.5l1.5-1.5',
  alert: 'M12 3l10 18H2zm0 6v5m0 3v.01',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z',
  shieldCheck: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zm-3.5 9l2.5 2.5 4.5-5',
  plus: 'M12 5v14M5 12h14',
  group:
    'M8 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm8 0a3 3 0 1 0 0-6M2 20a6 6 0 0 1 12 0m2-6a5 5 0 0 1 6 5',
  download: 'M12 3v12m-5-5l5 5 5-5M4 20h16',
  file: 'M6 2h8l5 5v15H6zm8 0v5h5',
  /** A seal with its ribbons: a signed document. */
  seal: 'M12 15a6 6 0 1 0 0-12 6 6 0 0 0 0 12zM8.5 13.9L7 21l5-2.5 5 2.5-1.5-7.1M9.4 9.1l1.8 1.8 3.4-3.5',
  /** A document with a check mark: « Vérifier un document ». */
  fileCheck: 'M6 2h8l5 5v15H6zm8 0v5h5M9 14.5l2.2 2.2L15.5 12',
  arrowDown: 'M12 4v15m-6-6l6 6 6-6',
  wifiOff:
    'M2 8.5a15 15 0 0 1 20 0M5 12a10 10 0 0 1 14 0M8.5 15.5a5 5 0 0 1 7 0M12 19h.01M3 3l18 18',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : 'icon'}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
