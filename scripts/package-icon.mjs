// Draws images/icon.png (128x128 RGBA) without any image tool: a dark rounded tile with a 4x4 grid of
// "pages" (2.4-era orange pages turning into 2.6 green ones along the diagonal) — memory pages being ported.
// Run: node scripts/package-icon.mjs   (the PNG is committed; rerun only to change the design)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const N = 128;
const px = Buffer.alloc(N * N * 4);
const set = (x, y, [r, g, b, a]) => px.set([r, g, b, a], (y * N + x) * 4);

const bg = [24, 33, 48, 255];
const orange = [242, 140, 40, 255];
const green = [76, 190, 110, 255];
const white = [235, 240, 245, 255];

// Rounded background tile.
const R = 22;
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    const cx = x < R ? R : x >= N - R ? N - R - 1 : x;
    const cy = y < R ? R : y >= N - R ? N - R - 1 : y;
    const inside = (x - cx) ** 2 + (y - cy) ** 2 <= R * R;
    set(x, y, inside ? bg : [0, 0, 0, 0]);
  }
}

// 4x4 grid of pages: upper-left of the anti-diagonal is 2.4 (orange), lower-right is 2.6 (green).
const cell = 22,
  gap = 6,
  origin = Math.floor((N - (4 * cell + 3 * gap)) / 2);
for (let i = 0; i < 4; i++) {
  for (let j = 0; j < 4; j++) {
    const colour = i + j < 3 ? orange : i + j === 3 ? white : green;
    const x0 = origin + j * (cell + gap),
      y0 = origin + i * (cell + gap);
    for (let y = y0; y < y0 + cell; y++)
      for (let x = x0; x < x0 + cell; x++) {
        // a folded corner on each page
        if (x - x0 + (y - y0) > 2 * cell - 7) continue;
        set(x, y, colour);
      }
  }
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) px.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(path.dirname(path.dirname(new URL(import.meta.url).pathname)), 'images', 'icon.png');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, png);
console.log(`${out}: ${png.length} bytes`);
