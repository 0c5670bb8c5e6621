// Initials on a tinted disc; decorative (the name is always written beside it).
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[words.length - 1]![0]] : [name[0]];
  return letters.join('').toUpperCase();
}

export function Avatar({ name, group }: { name: string; group?: boolean }) {
  return (
    <span className={group ? 'avatar avatar-group' : 'avatar'} aria-hidden="true">
      {initials(name || '?')}
    </span>
  );
}
