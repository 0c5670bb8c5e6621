// `npm run icons`: the app's icons, drawn from renderer/public/favicon.svg (the one
// source of the logo) and committed, so a build needs no image tool:
//   build/icon.ico                 the Windows app and installer icon (16 … 256 px)
//   renderer/public/tray.png       the tray icon at 100 % (16 px) …
//   renderer/public/tray@2x.png    … and 200 % (32 px; Electron picks it on HiDPI)
// Windows cannot show an SVG in the tray or as an app icon.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const svg = readFileSync(path.join(root, 'renderer/public/favicon.svg'));

function png(size: number): Buffer {
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng());
}

/** An ICO file holding PNG images (supported by Windows since Vista). */
export function ico(images: readonly { size: number; data: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  for (const { size, data } of images) {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // width (0 means 256)
    entry.writeUInt8(size >= 256 ? 0 : size, 1); // height
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3); // reserved
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += data.length;
    entries.push(entry);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.data)]);
}

function main(): void {
  const sizes = [16, 24, 32, 48, 64, 128, 256];
  writeFileSync(
    path.join(root, 'build/icon.ico'),
    ico(sizes.map((size) => ({ size, data: png(size) }))),
  );
  writeFileSync(path.join(root, 'renderer/public/tray.png'), png(16));
  writeFileSync(path.join(root, 'renderer/public/tray@2x.png'), png(32));
  console.log('wrote build/icon.ico, renderer/public/tray.png and tray@2x.png');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
