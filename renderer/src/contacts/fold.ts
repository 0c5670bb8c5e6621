// How a typed filter meets names: case and accents left aside (« benoit » finds
// « Benoît », « securite » finds « Sécurité »), as the directory's filter and the
// member pickers compare them.
export function fold(text: string): string {
  return text.toLocaleLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
}

/** Whether a person matches what was typed (nothing typed: everyone). */
export function matchesFilter(
  filter: string,
  person: { displayName: string; title?: string; institution?: string; unit?: string },
): boolean {
  const wanted = fold(filter.trim());
  if (!wanted) return true;
  return fold(
    `${person.displayName} ${person.title ?? ''} ${person.institution ?? ''} ${person.unit ?? ''}`,
  ).includes(wanted);
}
