// Texts live in the translation files: no words written in components, the same
// keys in French and English, none left empty.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { en } from '../../renderer/src/i18n/en.js';
import { fr } from '../../renderer/src/i18n/fr.js';

const SRC = path.resolve(import.meta.dirname, '..', '..', 'renderer', 'src');
/** Attributes a person reads or hears. */
const SPOKEN_ATTRIBUTES = new Set(['aria-label', 'title', 'placeholder', 'alt', 'label']);
const LETTER = /\p{L}/u;

function leaves(value: unknown, prefix = ''): [string, string][] {
  if (typeof value === 'string') return [[prefix, value]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    leaves(v, prefix ? `${prefix}.${k}` : k),
  );
}

/** Words written in JSX text or in spoken attributes of a .tsx file. */
function literalsIn(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(
    fileName,
    source,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TSX,
  );
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && LETTER.test(node.text)) found.push(node.text.trim());
    if (ts.isJsxAttribute(node) && SPOKEN_ATTRIBUTES.has(node.name.getText())) {
      const init = node.initializer;
      const text =
        init && ts.isStringLiteral(init)
          ? init.text
          : init &&
              ts.isJsxExpression(init) &&
              init.expression &&
              ts.isNoSubstitutionTemplateLiteral(init.expression)
            ? init.expression.text
            : init &&
                ts.isJsxExpression(init) &&
                init.expression &&
                ts.isTemplateExpression(init.expression)
              ? [
                  init.expression.head.text,
                  ...init.expression.templateSpans.map((s) => s.literal.text),
                ].join('')
              : init &&
                  ts.isJsxExpression(init) &&
                  init.expression &&
                  ts.isStringLiteral(init.expression)
                ? init.expression.text
                : '';
      if (LETTER.test(text)) found.push(`${node.name.getText()}="${text}"`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('texts', () => {
  it('components write no words of their own', () => {
    const offenders: string[] = [];
    for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.tsx')) continue;
      const file = path.join(entry.parentPath, entry.name);
      for (const literal of literalsIn(file, readFileSync(file, 'utf8'))) {
        offenders.push(`${path.relative(SRC, file)}: ${literal}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check catches a word in JSX and in an aria-label', () => {
    expect(literalsIn('x.tsx', '<p>Bonjour</p>')).toEqual(['Bonjour']);
    expect(literalsIn('x.tsx', '<button aria-label="Fermer" />')).toEqual(['aria-label="Fermer"']);
    expect(literalsIn('x.tsx', '<p>{t("a")} · </p>')).toEqual([]);
  });

  it('French and English have the same keys, none empty', () => {
    const frKeys = leaves(fr).map(([k]) => k);
    expect(leaves(en).map(([k]) => k)).toEqual(frKeys);
    for (const [key, text] of [...leaves(fr), ...leaves(en)]) {
      expect(text.trim(), key).not.toBe('');
    }
  });

  it('placeholders match between the languages', () => {
    const holes = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const english = new Map(leaves(en));
    for (const [key, text] of leaves(fr))
      expect(holes(english.get(key)!), key).toEqual(holes(text));
  });
});
