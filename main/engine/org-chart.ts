// The org chart and absences in the engine: each contact's unit and manager (set by
// the ICT cell) and the absence they declared, with the colleague who answers for them
// meanwhile (« intérim »), as the relay's directory gives them. An absence whose date
// has passed is over: it is not shown, whatever the directory last said.
import type { DelegationView } from '../../shared/api/contract.js';
import type { Store } from './store/open-store.js';
import { statement } from './store/statements.js';

export const ORG_CHART_MIGRATION_STATEMENTS: readonly string[] = [
  "ALTER TABLE contacts ADD COLUMN unit TEXT NOT NULL DEFAULT ''",
  'ALTER TABLE contacts ADD COLUMN manager TEXT',
  'ALTER TABLE contacts ADD COLUMN delegate TEXT',
  'ALTER TABLE contacts ADD COLUMN delegate_until INTEGER',
];

export interface OrgPlace {
  readonly unit: string;
  readonly managerId: string | null;
  readonly delegation?: DelegationView;
}

/** Someone's place in the org chart and their absence, if it lasts at `now`. */
export function orgPlaceOf(db: Store, userId: string, now = Date.now()): OrgPlace {
  const row = statement(
    db,
    `SELECT c.unit, c.manager, c.delegate, c.delegate_until,
            d.display_name AS delegate_name
       FROM contacts c LEFT JOIN contacts d ON d.user_id = c.delegate
      WHERE c.user_id = ?`,
  ).get(userId) as
    | {
        unit: string;
        manager: string | null;
        delegate: string | null;
        delegate_until: number | null;
        delegate_name: string | null;
      }
    | undefined;
  if (!row) return { unit: '', managerId: null };
  const away = row.delegate !== null && row.delegate_until !== null && row.delegate_until > now;
  return {
    unit: row.unit,
    managerId: row.manager,
    ...(away
      ? {
          delegation: {
            delegateId: row.delegate!,
            delegateName: row.delegate_name ?? row.delegate!,
            until: row.delegate_until!,
          },
        }
      : {}),
  };
}
