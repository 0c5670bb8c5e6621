// Invitations made by an ICT cell: the checks on a person's particulars (one typed on
// the command line, or a whole service read from a CSV file), and the issuing of
// their one-time enrolment codes. A code is stored hashed; the clear code exists only
// in what this returns (to print, or to put on an enrolment slip).
import { parse } from 'csv-parse/sync';
import {
  USER_ID_RULE,
  WIRE_LIMITS,
  generateEnrolmentCode,
  isValidUserId,
  normaliseEnrolmentCode,
} from '../../shared/wire/index.js';
import {
  CLASSIFICATION_WORDS,
  type Classification,
  parseClassification,
} from '../../shared/api/classification.js';
import { hashEnrolmentCode } from '../http/directory-routes.js';
import type { RelayStore } from '../store/store.js';

/** Bad particulars: the sentence says which and how to fix them (no stack trace). */
export class InvitationError extends Error {
  readonly code = 'BAD_INVITATION';
}

export interface Invitation {
  readonly userId: string;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
  /** Their clearance for classification labels; absent: left as it is (new: the default). */
  readonly clearance?: Classification;
  /** Their unit and the user id of their manager (org chart); absent: left as they are. */
  readonly unit?: string;
  readonly manager?: string;
}

export interface IssuedInvitation {
  readonly invitation: Invitation;
  /** The clear code, as the person types it (groups of four). */
  readonly code: string;
  readonly expiresAt: number;
}

/** Most people one CSV file may invite at once. */
export const MAX_BATCH = 5000;

function field(value: string | undefined, what: string, where: string): string {
  const trimmed = (value ?? '').trim();
  if (trimmed.length > WIRE_LIMITS.maxProfileFieldChars) {
    throw new InvitationError(
      `${where}The ${what} is longer than ${WIRE_LIMITS.maxProfileFieldChars} characters; shorten it.`,
    );
  }
  return trimmed;
}

/** Checks one person's particulars; `where` prefixes the sentence (e.g. "Line 4: "). */
export function checkInvitation(
  raw: {
    user?: string;
    name?: string;
    institution?: string;
    title?: string;
    clearance?: string;
    unit?: string;
    manager?: string;
  },
  where = '',
): Invitation {
  const userId = (raw.user ?? '').trim();
  if (!isValidUserId(userId)) {
    throw new InvitationError(`${where}"${userId}" is not a valid user id: use ${USER_ID_RULE}.`);
  }
  const displayName = field(raw.name, 'display name', where);
  if (displayName === '') throw new InvitationError(`${where}The display name must not be empty.`);
  const clearanceWord = (raw.clearance ?? '').trim();
  const clearance = clearanceWord === '' ? undefined : parseClassification(clearanceWord);
  if (clearance === null) {
    throw new InvitationError(
      `${where}"${clearanceWord}" is not a clearance; use one of: ${CLASSIFICATION_WORDS.join(', ')}.`,
    );
  }
  const unit = field(raw.unit, 'unit', where);
  const manager = (raw.manager ?? '').trim();
  if (manager !== '' && (!isValidUserId(manager) || manager === userId)) {
    throw new InvitationError(
      `${where}"${manager}" cannot be the manager: give the user id of someone else (${USER_ID_RULE}).`,
    );
  }
  return {
    userId,
    displayName,
    institution: field(raw.institution, 'institution', where),
    title: field(raw.title, 'title', where),
    ...(clearance !== undefined ? { clearance } : {}),
    ...(unit !== '' ? { unit } : {}),
    ...(manager !== '' ? { manager } : {}),
  };
}

/**
 * Reads a CSV file of people to invite: a header line naming the columns `user` and
 * `name`, and optionally `institution`, `title`, `clearance`, `unit` and `manager` (the
 * manager's user id, on the relay or in the same file) (in any order; comma or semicolon,
 * as spreadsheets save them in French). Every line is checked before anything is
 * created: one bad line refuses the file, with its number.
 */
export function parseInvitationsCsv(text: string): Invitation[] {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = firstLine.split(';').length > firstLine.split(',').length ? ';' : ',';
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      delimiter,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
    }) as Record<string, string>[];
  } catch (error) {
    throw new InvitationError(
      `The CSV file cannot be read: ${(error as Error).message}. Save it again as CSV (UTF-8).`,
    );
  }
  const columns = records.length > 0 ? Object.keys(records[0]!) : [];
  const known = new Set(['user', 'name', 'institution', 'title', 'clearance', 'unit', 'manager']);
  const unknown = columns.filter((c) => !known.has(c));
  if (records.length > 0 && (!columns.includes('user') || !columns.includes('name'))) {
    throw new InvitationError(
      'The first line of the CSV file must name the columns: user;name;institution;title (institution and title may be left out).',
    );
  }
  if (unknown.length > 0) {
    throw new InvitationError(
      `Unknown column(s) ${unknown.map((c) => `"${c}"`).join(', ')}: use user, name, institution, title, clearance, unit and manager.`,
    );
  }
  if (records.length === 0) throw new InvitationError('The CSV file names nobody to invite.');
  if (records.length > MAX_BATCH) {
    throw new InvitationError(
      `The CSV file names ${records.length} people; split it into files of at most ${MAX_BATCH}.`,
    );
  }
  const seen = new Map<string, number>();
  return records.map((record, index) => {
    const line = index + 2; // the header is line 1
    const invitation = checkInvitation(record, `Line ${line}: `);
    const earlier = seen.get(invitation.userId);
    if (earlier !== undefined) {
      throw new InvitationError(
        `Line ${line}: ${invitation.userId} is already on line ${earlier}; invite each person once per file.`,
      );
    }
    seen.set(invitation.userId, line);
    return invitation;
  });
}

/**
 * Issues one code per invitation, each in its own transaction (recorded in the admin
 * log). A revoked user is refused before any code is made, so a file is all or nothing
 * for that reason. Should the store fail half-way, the codes issued before are lost
 * with the error: nobody holds them, they expire, and the file can simply be run again.
 */
export async function issueInvitations(
  store: RelayStore,
  invitations: readonly Invitation[],
  options: { readonly ttlMs: number; readonly actor: string; readonly now: number },
): Promise<IssuedInvitation[]> {
  const inFile = new Set(invitations.map((i) => i.userId));
  for (const invitation of invitations) {
    const user = await store.getUser(invitation.userId);
    if (user && user.revokedAt !== null) {
      throw new InvitationError(
        `${invitation.userId} was revoked; a revoked user cannot be invited again. Choose another user id.`,
      );
    }
    const manager = invitation.manager;
    if (manager !== undefined && !inFile.has(manager) && !(await store.getUser(manager))) {
      throw new InvitationError(
        `The manager of ${invitation.userId}, "${manager}", is neither on the relay nor in the file; invite them first or correct the user id.`,
      );
    }
  }
  const expiresAt = options.now + options.ttlMs;
  const issued: IssuedInvitation[] = [];
  for (const invitation of invitations) {
    const code = generateEnrolmentCode();
    await store.inviteUser(
      invitation,
      hashEnrolmentCode(normaliseEnrolmentCode(code)!),
      options.now,
      expiresAt,
      options.actor,
    );
    if (invitation.clearance !== undefined) {
      await store.setClearance(invitation.userId, invitation.clearance, options.now, options.actor);
    }
    issued.push({ invitation, code, expiresAt });
  }
  // The org chart once everyone is there: a manager may come later in the same file.
  for (const { userId, unit, manager } of invitations) {
    if (unit === undefined && manager === undefined) continue;
    await store.setOrg(
      userId,
      { ...(unit !== undefined ? { unit } : {}), ...(manager !== undefined ? { manager } : {}) },
      options.now,
      options.actor,
    );
  }
  return issued;
}
