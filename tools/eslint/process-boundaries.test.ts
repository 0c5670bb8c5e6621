import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// Lints virtual files with the project's real eslint.config.js, so a broken
// wiring of the rule (not only a broken rule) makes these tests fail.
const eslint = new ESLint({ cwd: process.cwd() });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'comgov/process-boundaries')
    .map((m) => m.message);
}

describe('process boundaries (npm run lint)', () => {
  it('refuses shared/ importing from main/, relay/ or renderer/', async () => {
    for (const target of [
      '../../main/engine/x.js',
      '../../relay/server.js',
      '../../renderer/a.js',
    ]) {
      const errors = await boundaryErrors('shared/crypto/violation.ts', `import '${target}';\n`);
      expect(errors, target).toHaveLength(1);
    }
  });

  it('refuses electron outside main/electron/', async () => {
    for (const file of ['main/engine/x.ts', 'shared/api/x.ts', 'renderer/src/x.ts', 'relay/x.ts']) {
      const errors = await boundaryErrors(
        file,
        `import { app } from 'electron';\nexport { app };\n`,
      );
      expect(errors, file).toHaveLength(1);
    }
    expect(
      await boundaryErrors(
        'main/electron/x.ts',
        `import { app } from 'electron';\nexport { app };\n`,
      ),
    ).toHaveLength(0);
  });

  it('lets the renderer import only shared/api and itself', async () => {
    expect(
      await boundaryErrors('renderer/src/x.ts', `import '../../shared/crypto/index.js';\n`),
    ).toHaveLength(1);
    expect(
      await boundaryErrors('renderer/src/x.ts', `import '../../main/engine/engine.js';\n`),
    ).toHaveLength(1);
    expect(
      await boundaryErrors('renderer/src/x.ts', `import '../../shared/api/index.js';\n`),
    ).toHaveLength(0);
    expect(await boundaryErrors('renderer/src/x.ts', `import './y.js';\n`)).toHaveLength(0);
  });

  it('keeps Node built-ins out of shared/ and the renderer', async () => {
    expect(await boundaryErrors('shared/crypto/x.ts', `import 'node:fs';\n`)).toHaveLength(1);
    expect(await boundaryErrors('renderer/src/x.ts', `import 'fs';\n`)).toHaveLength(1);
    expect(await boundaryErrors('main/engine/x.ts', `import 'node:fs';\n`)).toHaveLength(0);
  });

  it('catches dynamic import() and require() too', async () => {
    expect(
      await boundaryErrors('shared/util/x.ts', `export const m = import('../../relay/x.js');\n`),
    ).toHaveLength(1);
    expect(
      await boundaryErrors('main/engine/x.ts', `export const e = require('electron');\n`),
    ).toHaveLength(1);
  });
});
