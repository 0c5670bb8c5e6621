// Dates, times, numbers and sizes formatted with the language chosen.
import { currentLanguage } from './i18n.js';

const DAY_MS = 24 * 3600 * 1000;
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d:${currentLanguage()}:${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(currentLanguage(), options)));
  return f as Intl.DateTimeFormat;
}

export function formatTime(ms: number): string {
  return dateFormat({ hour: '2-digit', minute: '2-digit' }).format(ms);
}

export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** "mardi 3 novembre 2026" for the day separators. */
export function formatDay(ms: number): string {
  const sameYear = new Date(ms).getFullYear() === new Date().getFullYear();
  return dateFormat({
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(ms);
}

/** Today: the time; this week: the weekday; before: the date. */
export function formatListTime(ms: number, now = Date.now()): string {
  const today = startOfDay(now);
  if (ms >= today) return formatTime(ms);
  if (ms >= today - 6 * DAY_MS) return dateFormat({ weekday: 'short' }).format(ms);
  return dateFormat({ day: '2-digit', month: '2-digit', year: '2-digit' }).format(ms);
}

/** "27 nov. 2026": a date with its year (when a document was signed). */
export function formatDate(ms: number): string {
  return dateFormat({ day: 'numeric', month: 'short', year: 'numeric' }).format(ms);
}

/**
 * "5 déc." (`short`) or "5 décembre" (`long`, where a sentence follows), with the year
 * when it is not this year's: the end of someone's absence.
 */
export function formatDayMonth(
  ms: number,
  month: 'short' | 'long' = 'short',
  now = Date.now(),
): string {
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return dateFormat({
    day: 'numeric',
    month,
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(ms);
}

export function dayLabel(ms: number, today: string, yesterday: string, now = Date.now()): string {
  const start = startOfDay(now);
  if (ms >= start) return today;
  if (ms >= start - DAY_MS) return yesterday;
  return formatDay(ms);
}

export function formatNumber(value: number): string {
  const key = `n:${currentLanguage()}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.NumberFormat(currentLanguage())));
  return (f as Intl.NumberFormat).format(value);
}

export function formatPercent(ratio: number): string {
  return new Intl.NumberFormat(currentLanguage(), { style: 'percent' }).format(ratio);
}

export function formatSize(bytes: number): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(currentLanguage(), {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

const DURATION_UNITS = [
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
] as const;

/** "8 heures", "1 semaine", "30 secondes": a disappearing-messages timer, in whole units. */
export function formatDuration(seconds: number): string {
  const [unit, size] = DURATION_UNITS.find(([, s]) => seconds >= s && seconds % s === 0) ?? [
    'second',
    1,
  ];
  const key = `u:${currentLanguage()}:${unit}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(currentLanguage(), { style: 'unit', unit, unitDisplay: 'long' });
    formatters.set(key, f);
  }
  return (f as Intl.NumberFormat).format(seconds / size);
}

/** "14:05" today, "03/12 14:05" another day: when a disappearing message goes. */
export function formatMoment(ms: number, now = Date.now()): string {
  const today = startOfDay(now);
  if (ms >= today && ms < today + DAY_MS) return formatTime(ms);
  return dateFormat({
    day: '2-digit',
    month: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(ms);
}
