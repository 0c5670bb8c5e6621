// `npm run build`: the renderer (Vite) into dist/renderer, and the three bundles
// the installer packages: dist/main/main.js (Electron main, ESM),
// dist/main/preload.js (sandboxed preload: a plain script) and
// dist/engine/engine.js (the engine's utilityProcess, ESM) with its attachment worker
// dist/engine/crypto-worker.js. npm packages stay
// outside the bundles (they ship in node_modules, native modules unpacked).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist');

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export async function buildMain(outDir = DIST): Promise<void> {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node22',
    packages: 'external' as const,
    sourcemap: true,
    logLevel: 'warning' as const,
    legalComments: 'none' as const,
  };
  await Promise.all([
    esbuild({
      ...common,
      entryPoints: [path.join(ROOT, 'main/electron/main.ts')],
      outfile: path.join(outDir, 'main/main.js'),
      format: 'esm',
    }),
    esbuild({
      ...common,
      entryPoints: [path.join(ROOT, 'main/electron/preload.ts')],
      outfile: path.join(outDir, 'main/preload.js'),
      // A sandboxed preload runs as a plain script with a limited `require`.
      format: 'cjs',
      platform: 'browser',
      external: ['electron'],
    }),
    esbuild({
      ...common,
      entryPoints: [path.join(ROOT, 'main/electron/engine-process.ts')],
      outfile: path.join(outDir, 'engine/engine.js'),
      format: 'esm',
    }),
    // The attachment worker thread, loaded by the engine from beside its bundle.
    esbuild({
      ...common,
      entryPoints: [path.join(ROOT, 'main/engine/attachments/crypto-worker.ts')],
      outfile: path.join(outDir, 'engine/crypto-worker.js'),
      format: 'esm',
    }),
  ]);
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== 'main') await buildRenderer();
  if (only !== 'renderer') await buildMain();
  console.log(
    `Built into ${path.relative(process.cwd(), DIST) || DIST}/ (renderer, main, preload, engine).`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
