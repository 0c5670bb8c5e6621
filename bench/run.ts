// Benchmark runner: `npm run bench -- <suite> [--json]`.
// Each suite lives in bench/suites/<name>.ts and exports `run()`, which measures
// its own baseline in the same run and returns flat figures (numbers or strings).
// Without --json the figures print as a table; with --json the last line of
// standard output is one JSON object with the suite's figures.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type BenchFigures = Record<string, number | string | boolean>;

export interface BenchSuite {
  /** One line saying what the suite measures and its targets. */
  readonly description: string;
  run(log: (line: string) => void): Promise<BenchFigures>;
}

const suitesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'suites');

function availableSuites(): string[] {
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('-child.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function formatValue(value: number | string | boolean): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const suites = availableSuites();
  if (names.length !== 1 || !suites.includes(names[0]!)) {
    console.error(`Usage: npm run bench -- <suite> [--json]\nSuites: ${suites.join(', ')}`);
    process.exit(2);
  }
  const name = names[0]!;
  const suite = (await import(pathToFileURL(path.join(suitesDir, `${name}.ts`)).href)) as {
    default: BenchSuite;
  };
  // Progress goes to stderr so that stdout's last line stays the JSON object.
  const log = (line: string) => console.error(`[${name}] ${line}`);
  log(suite.default.description);
  const figures = await suite.default.run(log);
  if (json) {
    console.log(JSON.stringify({ suite: name, ...figures }));
  } else {
    const width = Math.max(...Object.keys(figures).map((k) => k.length));
    console.log(`\n${name}`);
    for (const [key, value] of Object.entries(figures)) {
      console.log(`  ${key.padEnd(width)}  ${formatValue(value)}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
