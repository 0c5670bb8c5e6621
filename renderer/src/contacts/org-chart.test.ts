import { describe, expect, it } from 'vitest';
import type { ContactView } from '../../../shared/api/index.js';
import { currentAbsence, absenceDayRange, absenceEnd, dayAfter, isoDay } from './absence.js';
import { orgChart } from './org-chart.js';

function person(
  userId: string,
  institution: string,
  unit = '',
  managerId: string | null = null,
): ContactView {
  return {
    userId,
    displayName: userId,
    institution,
    title: '',
    unit,
    managerId,
    devices: [],
    verified: false,
    identityChanged: false,
    clearance: 'restricted',
  };
}

describe('the organisation chart', () => {
  it('groups by institution, then by unit sorted; no unit: under the institution', () => {
    const people = [
      person('amina', 'Ministère', 'Direction des ressources humaines', 'benoit'),
      person('benoit', 'Ministère'),
      person('chantal', 'Ministère', 'Direction du budget'),
      person('didier', 'Présidence', 'Cabinet'),
      person('eric', 'Ministère', 'direction des affaires juridiques'),
    ];
    const chart = orgChart(people, people, 'fr');
    expect(chart.map((g) => g.institution)).toEqual(['Ministère', 'Présidence']);
    expect(chart[0]!.people.map((p) => p.userId)).toEqual(['benoit']);
    expect(chart[0]!.units.map((u) => u.unit)).toEqual([
      'direction des affaires juridiques',
      'Direction des ressources humaines',
      'Direction du budget',
    ]);
    expect(chart[1]!.units).toEqual([{ unit: 'Cabinet', people: [people[3]] }]);
  });

  it('puts the head of a unit first, then who reports to them, whatever a loop', () => {
    const people = [
      person('aline', 'M', 'Service', 'zoe'),
      person('bruno', 'M', 'Service', 'aline'),
      person('carl', 'M', 'Service', 'dora'),
      person('dora', 'M', 'Service', 'carl'),
      person('zoe', 'M', 'Service', 'outside'),
    ];
    const [group] = orgChart(people, people, 'fr');
    const order = group!.units[0]!.people.map((p) => p.userId);
    expect(order.slice(0, 2)).toEqual(['zoe', 'aline']);
    expect(order.indexOf('bruno')).toBeGreaterThan(order.indexOf('aline'));
    expect(order).toHaveLength(5);
  });

  it('follows reporting lines through people a filter hides', () => {
    const everyone = [person('a', 'M', 'S', 'b'), person('b', 'M', 'S'), person('c', 'M', 'S')];
    const [group] = orgChart([everyone[0]!, everyone[2]!], everyone, 'fr');
    expect(group!.units[0]!.people.map((p) => p.userId)).toEqual(['c', 'a']);
  });
});

describe('absences', () => {
  const now = new Date(2026, 10, 20, 10, 30).getTime();

  it('last while their date has not passed', () => {
    const away = { delegateId: 'chantal', delegateName: 'Chantal', until: now + 1000 };
    expect(currentAbsence(away, now)).toBe(away);
    expect(currentAbsence(away, now + 1000)).toBeUndefined();
    expect(currentAbsence(undefined, now)).toBeUndefined();
  });

  it('end at the end of the day chosen, in local time', () => {
    expect(absenceEnd('2026-11-27', now)).toBe(new Date(2026, 10, 27, 23, 59, 59, 999).getTime());
    expect(absenceEnd('2026-11-20', now)).toBe(new Date(2026, 10, 20, 23, 59, 59, 999).getTime());
  });

  it('are refused before today, beyond 366 days, or on a day that does not exist', () => {
    expect(absenceDayRange(now)).toEqual({ min: '2026-11-20', max: '2027-11-21' });
    expect(absenceEnd('2026-11-19', now)).toBeNull();
    expect(absenceEnd('2027-11-22', now)).toBeNull();
    expect(absenceEnd('2027-02-30', now)).toBeNull();
    expect(absenceEnd('', now)).toBeNull();
    // The last day allowed ends no later than 366 days from now, as the engine requires.
    expect(absenceEnd('2027-11-21', now)).toBe(now + 366 * 24 * 3600 * 1000);
  });

  it('suggest a date a week ahead as a date input takes it', () => {
    expect(isoDay(dayAfter(now, 7))).toBe('2026-11-27');
  });
});
