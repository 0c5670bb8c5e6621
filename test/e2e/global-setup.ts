// The tests load the built renderer: it must exist and be newer than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export default function globalSetup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const index = path.join(root, 'dist', 'renderer', 'index.html');
  if (!existsSync(index)) {
    throw new Error('dist/renderer is missing: run "npm run build" (npm run test:e2e does it).');
  }
  let newest = 0;
  for (const entry of readdirSync(path.join(root, 'renderer'), {
    withFileTypes: true,
    recursive: true,
  })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  if (newest > statSync(index).mtimeMs) {
    throw new Error('dist/renderer is older than renderer/: run "npm run build" first.');
  }
}
