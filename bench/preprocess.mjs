// `npm run bench:preprocess`: the exact resize (Pillow's passes, src/image/resample.ts) in
// JavaScript against its WebAssembly SIMD passes (assembly/resample.ts), alternated call by call on
// the same decoded pixels and geometry as preprocessing uses, their bytes compared; then whole
// preprocessing from the encoded file (decode, resize, crop, normalize) with the exact resize and
// with --resize sharp (libvips, not exact), and decoding alone. Photos: the fixtures' cat.jpg and
// coffee.jpg, and a 4000x3000 JPEG made from coffee.png in memory (a phone photo's size). Configs:
// vit_base_patch16_384's (384, bicubic, crop 1.0) and a 224 one with timm's crop 0.9.
// Environment: PREPROCESS_ROUNDS (default 15).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImage, loadImageTensor, planGeometry } from '../dist/index.js';
import { keptRegion } from '../dist/image/geometry.js';
import { defaultPasses, JS_PASSES, resizeRgb } from '../dist/image/resample.js';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, median, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const images = join(here, '..', 'test', 'fixtures', 'images');
const rounds = envInt('PREPROCESS_ROUNDS', 15);

const CONFIGS = {
  '384 crop 1.0': { inputSize: [3, 384, 384], interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropPct: 1.0, cropMode: 'center' },
  '224 crop 0.9': { inputSize: [3, 224, 224], interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropPct: 0.9, cropMode: 'center' },
};

printHeader(machineInfo(), [1]);
const wasm = defaultPasses();
if (wasm.name !== 'wasm-simd') throw new Error(`bench: this runtime has no WebAssembly SIMD (the passes are ${wasm.name})`);

const photos = [
  ['cat.jpg 451x300', readFileSync(join(images, 'cat.jpg'))],
  ['coffee.jpg', readFileSync(join(images, 'coffee.jpg'))],
  ['JPEG 4000x3000', await sharp(join(images, 'coffee.png')).resize(4000, 3000, { kernel: 'cubic' }).jpeg({ quality: 90 }).toBuffer()],
];

async function msOf(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const rows = [];
for (const [name, bytes] of photos) {
  const pixels = await decodeImage(bytes);
  for (const [configName, cfg] of Object.entries(CONFIGS)) {
    // The part of the resized image that the crop keeps, as resizeAndCrop asks for it.
    const geometry = planGeometry(pixels.width, pixels.height, cfg);
    const [w, h] = geometry.resizeSize;
    const kept = keptRegion(geometry);
    const resize = (passes) => resizeRgb(pixels, w, h, geometry.resizeInterpolation, kept, passes);
    const a = resize(JS_PASSES).data;
    const b = resize(wasm).data;
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error(`bench: ${name} ${configName}: the two passes' bytes differ`);
    const times = { js: [], wasm: [], exact: [], sharp: [], decode: [] };
    for (let r = 0; r < rounds; r++) {
      times.js.push(await msOf(() => resize(JS_PASSES)));
      times.wasm.push(await msOf(() => resize(wasm)));
      times.exact.push(await msOf(() => loadImageTensor(bytes, cfg, { resize: 'pillow' })));
      times.sharp.push(await msOf(() => loadImageTensor(bytes, cfg, { resize: 'sharp' })));
      times.decode.push(await msOf(() => decodeImage(bytes)));
    }
    const js = median(times.js);
    const fast = median(times.wasm);
    rows.push({
      image: name,
      config: configName,
      'resize JS ms': round(js),
      'resize wasm ms': round(fast),
      'JS / wasm': round(js / fast),
      'preprocess exact ms': round(median(times.exact)),
      'preprocess sharp ms': round(median(times.sharp)),
      'decode alone ms': round(median(times.decode)),
    });
  }
}
console.log(`\nmedians of ${rounds} rounds, one thread (the resize runs on the caller's thread; same bytes from both passes, checked)`);
console.table(rows);
