// The preview of a picture about to be sent: a JPEG of at most 320 pixels a side and
// MAX_PREVIEW_BYTES, made here with Chromium's own decoders (the engine has none, and
// should not decode pictures). It travels inside the encrypted message, so the
// recipient sees the photo at once and fetches the file only if they want it: on a
// poor link, seconds instead of minutes. Anything that cannot be made quickly and
// small enough gives no preview; the file is sent all the same.
import { MAX_PREVIEW_BYTES } from '../../../shared/api/contract.js';

/** Formats Chromium decodes safely; never SVG (a document that can carry script). */
const PICTURE_TYPES = /^image\/(jpeg|png|gif|webp|bmp)$/;
/** Larger pictures are not decoded for a preview (memory on modest PCs). */
const MAX_SOURCE_BYTES = 40 * 1024 * 1024;
const MAX_SIDE = 320;
const QUALITIES = [0.75, 0.6, 0.45] as const;

/** A `data:` URL of the picture's preview, or null when the file is not a picture or none fits. */
export async function makePreview(file: Blob): Promise<string | null> {
  if (!PICTURE_TYPES.test(file.type) || file.size > MAX_SOURCE_BYTES) return null;
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') return null;
  let bitmap: ImageBitmap;
  try {
    // Follows the photo's EXIF orientation, as the person sees it elsewhere.
    bitmap = await createImageBitmap(file);
  } catch {
    return null; // named like a picture, but not one
  }
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) return null;
    // JPEG has no transparency: a transparent PNG shows on white, as in a document.
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, width, height);
    for (const quality of QUALITIES) {
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      if (blob.size <= MAX_PREVIEW_BYTES) return await dataUrlOf(blob);
    }
    return null;
  } catch {
    return null;
  } finally {
    bitmap.close();
  }
}

function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('The preview could not be read.'));
    reader.readAsDataURL(blob);
  });
}
