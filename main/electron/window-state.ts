// Where the window was, restored at the next start if that place is still on a
// screen (a laptop undocked from its second monitor must not open off-screen).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface WindowState {
  readonly x?: number;
  readonly y?: number;
  readonly width: number;
  readonly height: number;
  readonly maximized: boolean;
}

export interface Area {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const FILE = 'window-state.json';
const DEFAULT: WindowState = { width: 1200, height: 780, maximized: false };

function visibleOn(state: WindowState, areas: readonly Area[]): boolean {
  if (state.x === undefined || state.y === undefined) return true;
  const { x, y, width } = state;
  // The title bar's middle must be on some screen.
  const cx = x + width / 2;
  return areas.some((a) => cx >= a.x && cx < a.x + a.width && y >= a.y && y < a.y + a.height - 40);
}

export function loadWindowState(userData: string, areas: readonly Area[]): WindowState {
  const file = path.join(userData, FILE);
  if (!existsSync(file)) return DEFAULT;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>;
    const state: WindowState = {
      ...(Number.isFinite(raw.x) && Number.isFinite(raw.y) ? { x: raw.x!, y: raw.y! } : {}),
      width: Number.isFinite(raw.width) ? Math.max(600, raw.width!) : DEFAULT.width,
      height: Number.isFinite(raw.height) ? Math.max(400, raw.height!) : DEFAULT.height,
      maximized: raw.maximized === true,
    };
    if (visibleOn(state, areas)) return state;
    return { width: state.width, height: state.height, maximized: state.maximized };
  } catch {
    return DEFAULT;
  }
}

export function saveWindowState(userData: string, state: WindowState): void {
  try {
    writeFileSync(path.join(userData, FILE), JSON.stringify(state));
  } catch {
    // Losing the window's place is not worth an error.
  }
}
