// Reading a service's CSV file of people to invite: separators as spreadsheets save
// them, accents and quotes, and every bad line refused with its number before
// anything is created.
import { describe, expect, it } from 'vitest';
import { InvitationError, MAX_BATCH, checkInvitation, parseInvitationsCsv } from './invitations.js';

const refusal = (text: string) => {
  try {
    parseInvitationsCsv(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvitationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('invitations from a CSV file', () => {
  it('reads semicolons (French spreadsheets), a BOM, quotes and accents', () => {
    const text =
      '\uFEFFuser;name;institution;title\r\n' +
      'amina.n;Amina Ndayishimiye;Ministère de la Santé;"Directrice ; cabinet"\r\n' +
      '\r\n' +
      'b.niyonzima;Bernard Niyonzima;;\r\n';
    expect(parseInvitationsCsv(text)).toEqual([
      {
        userId: 'amina.n',
        displayName: 'Amina Ndayishimiye',
        institution: 'Ministère de la Santé',
        title: 'Directrice ; cabinet',
      },
      { userId: 'b.niyonzima', displayName: 'Bernard Niyonzima', institution: '', title: '' },
    ]);
  });

  it('reads commas, columns in any order, and optional columns left out', () => {
    expect(parseInvitationsCsv('Name,User\n"Claire, D.",claire\n')).toEqual([
      { userId: 'claire', displayName: 'Claire, D.', institution: '', title: '' },
    ]);
  });

  it('refuses a bad line with its number, before anything is created', () => {
    expect(refusal('user;name\nok;Bon\nPas Valide;Nom\n')).toMatch(
      /^Line 3: "Pas Valide" is not a valid user id/,
    );
    expect(refusal('user;name\nok;\n')).toBe('Line 2: The display name must not be empty.');
    expect(refusal('user;name\nok;A\nok;B\n')).toBe(
      'Line 3: ok is already on line 2; invite each person once per file.',
    );
    expect(refusal(`user;name\nok;${'x'.repeat(500)}\n`)).toMatch(
      /^Line 2: The display name is longer/,
    );
  });

  it('reads a clearance column (English or French words; empty leaves the default)', () => {
    expect(
      parseInvitationsCsv('user;name;clearance\namina;Amina;Confidentiel\nbeno;Benoît;\n'),
    ).toEqual([
      {
        userId: 'amina',
        displayName: 'Amina',
        institution: '',
        title: '',
        clearance: 'confidential',
      },
      { userId: 'beno', displayName: 'Benoît', institution: '', title: '' },
    ]);
    expect(refusal('user;name;clearance\namina;Amina;très secret\n')).toMatch(
      /^Line 2: "très secret" is not a clearance; use one of: none/,
    );
  });

  it('says what is wrong with the file itself', () => {
    expect(refusal('user;name\n')).toBe('The CSV file names nobody to invite.');
    expect(refusal('identifiant;nom\nx;y\n')).toMatch(/must name the columns/);
    expect(refusal('user;name;phone\nx;y;1\n')).toMatch(/Unknown column\(s\) "phone"/);
    expect(refusal('user;name\nx;y;z\n')).toMatch(/cannot be read/);
    const many = ['user;name', ...Array.from({ length: MAX_BATCH + 1 }, (_, i) => `u${i};N`)];
    expect(refusal(many.join('\n'))).toMatch(/split it into files/);
  });

  it('checks one person typed on the command line the same way', () => {
    expect(checkInvitation({ user: 'amina', name: '  Amina  ', title: ' DG ' })).toEqual({
      userId: 'amina',
      displayName: 'Amina',
      institution: '',
      title: 'DG',
    });
    expect(() => checkInvitation({ user: 'a b', name: 'x' })).toThrow(/not a valid user id/);
  });
});
