// « Absence et intérim »: whether someone is still away (an absence ends by itself at its
// date, even before the engine says so), and the dates of the form that declares one.
import { useEffect, useState } from 'react';
import { type DelegationView, MAX_DELEGATION_DAYS } from '../../../shared/api/index.js';

const DAY_MS = 24 * 3600 * 1000;
/** setTimeout takes at most 2^31 - 1 ms (about 24 days); a longer wait is taken in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** The absence while it lasts, undefined once its date has passed (or when there is none). */
export function currentAbsence(
  delegation: DelegationView | undefined,
  now = Date.now(),
): DelegationView | undefined {
  return delegation && delegation.until > now ? delegation : undefined;
}

/** `currentAbsence`, rendered again when the absence ends while it is on screen. */
export function useCurrentAbsence(
  delegation: DelegationView | undefined,
): DelegationView | undefined {
  const [, setTick] = useState(0);
  const until = delegation?.until;
  useEffect(() => {
    if (until === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = () => {
      const left = until - Date.now();
      if (left < 0) return;
      timer = setTimeout(
        () => {
          if (until - Date.now() < 0) setTick((n) => n + 1);
          else wait();
        },
        Math.min(left + 1, LONGEST_TIMER_MS),
      );
    };
    wait();
    return () => clearTimeout(timer);
  }, [until]);
  return currentAbsence(delegation);
}

/** "2026-12-05": a day in local time, as a date input takes it. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local day `days` days after the one of `now` (calendar days: summer time is no matter). */
export function dayAfter(now: number, days: number): Date {
  const date = new Date(now);
  date.setHours(0, 0, 0, 0);
  date.setDate(date.getDate() + days);
  return date;
}

/** The first and last days an absence may end on: today, and MAX_DELEGATION_DAYS ahead. */
export function absenceDayRange(now = Date.now()): { readonly min: string; readonly max: string } {
  return { min: isoDay(dayAfter(now, 0)), max: isoDay(dayAfter(now, MAX_DELEGATION_DAYS)) };
}

/**
 * When an absence that ends on this day (a date input's "2026-12-05") ends: at the end of
 * that day in local time, and never later than MAX_DELEGATION_DAYS from now (what the
 * engine accepts). Null for a day that is not a date, is before today or beyond the range,
 * or is already over.
 */
export function absenceEnd(day: string, now = Date.now()): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const end = new Date(year, month, date, 23, 59, 59, 999);
  if (end.getFullYear() !== year || end.getMonth() !== month || end.getDate() !== date) {
    return null;
  }
  const { min, max } = absenceDayRange(now);
  if (day < min || day > max) return null;
  const until = Math.min(end.getTime(), now + MAX_DELEGATION_DAYS * DAY_MS);
  return until > now ? until : null;
}
