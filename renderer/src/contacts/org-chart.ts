// The directory read as the administration's organisation chart: by institution, then by
// unit (direction, service) as the ICT cell set it. Within a unit its head comes first,
// then the people who report to them, and so on; people without a unit sit under their
// institution directly.
import type { ContactView } from '../../../shared/api/index.js';

export interface UnitGroup {
  readonly unit: string;
  readonly people: readonly ContactView[];
}

export interface InstitutionGroup {
  readonly institution: string;
  /** People of the institution with no unit set. */
  readonly people: readonly ContactView[];
  /** Its units, sorted by name. */
  readonly units: readonly UnitGroup[];
}

/**
 * How many steps up the reporting line a person is from the head of their unit: 0 when
 * their manager is outside the unit (or unknown, or none). A loop stops the count.
 */
function depthInUnit(person: ContactView, byId: ReadonlyMap<string, ContactView>): number {
  let depth = 0;
  const seen = new Set([person.userId]);
  let manager = person.managerId === null ? undefined : byId.get(person.managerId);
  const unit = person.unit.trim();
  while (manager && manager.unit.trim() === unit && !seen.has(manager.userId)) {
    depth++;
    seen.add(manager.userId);
    manager = manager.managerId === null ? undefined : byId.get(manager.managerId);
  }
  return depth;
}

/**
 * Groups the people shown (`shown`, in the engine's order) by institution (in order of
 * first appearance) and unit (sorted in `language`). `everyone` is the whole directory,
 * to follow reporting lines through people a filter hides.
 */
export function orgChart(
  shown: readonly ContactView[],
  everyone: readonly ContactView[],
  language: string,
): InstitutionGroup[] {
  const byId = new Map(everyone.map((c) => [c.userId, c]));
  const collator = new Intl.Collator(language, { sensitivity: 'base', numeric: true });
  const institutions = new Map<
    string,
    { people: ContactView[]; units: Map<string, ContactView[]> }
  >();
  for (const person of shown) {
    let group = institutions.get(person.institution);
    if (!group) institutions.set(person.institution, (group = { people: [], units: new Map() }));
    const unit = person.unit.trim();
    if (unit === '') {
      group.people.push(person);
    } else {
      const members = group.units.get(unit);
      if (members) members.push(person);
      else group.units.set(unit, [person]);
    }
  }
  return [...institutions].map(([institution, group]) => ({
    institution,
    people: group.people,
    units: [...group.units]
      .sort(([a], [b]) => collator.compare(a, b))
      .map(([unit, people]) => {
        const depth = new Map(people.map((p) => [p.userId, depthInUnit(p, byId)]));
        // A stable sort: the engine's order (by name) within the same level.
        return {
          unit,
          people: [...people].sort((a, b) => depth.get(a.userId)! - depth.get(b.userId)!),
        };
      }),
  }));
}
