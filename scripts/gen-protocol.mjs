// Generates the host's copy of the WebAssembly protocol constants from their one source:
//   assembly/protocol.ts -> src/backend/wasm/protocol.generated.ts (gitignored)
// Run by `npm run build` before the kernels and tsc are built. The source may hold only comments
// and `export const NAME: i32 = <integer>;` lines (a trailing comment allowed): anything else is
// refused rather than guessed at, so a constant cannot silently go missing from the host.
// Comments are carried over, so the host's constants keep their documentation.
// Usage: node scripts/gen-protocol.mjs [--check]
//   --check: write nothing; exit 1 if the generated file is missing or out of date.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE = 'assembly/protocol.ts';
const TARGET = 'src/backend/wasm/protocol.generated.ts';
const root = new URL('../', import.meta.url);
const sourcePath = fileURLToPath(new URL(SOURCE, root));
const targetPath = fileURLToPath(new URL(TARGET, root));

const HEADER = `// GENERATED from ${SOURCE} by scripts/gen-protocol.mjs (npm run build). Do not edit: edit
// ${SOURCE} and rebuild. The comments below are that file's.
`;

const CONSTANT = /^export const ([A-Z][A-Z0-9_]*): i32 = (-?(?:0x[0-9a-fA-F]+|[0-9]+));(\s*\/\/.*)?$/;

/** The TypeScript module for the AssemblyScript source `text`; throws on a line it does not understand. */
function generate(text) {
  const out = [];
  let inBlockComment = false;
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    if (inBlockComment || trimmed.startsWith('/*')) {
      inBlockComment = !trimmed.includes('*/');
      out.push(line);
    } else if (trimmed === '' || trimmed.startsWith('//')) {
      out.push(line);
    } else {
      const match = CONSTANT.exec(line);
      if (match === null) {
        throw new Error(`${SOURCE}:${i + 1}: expected a comment or \`export const NAME: i32 = <integer>;\`, found: ${line}`);
      }
      const [, name, value, comment = ''] = match;
      out.push(`export const ${name} = ${value};${comment}`);
    }
  });
  if (inBlockComment) throw new Error(`${SOURCE}: unterminated block comment`);
  return HEADER + '\n' + out.join('\n');
}

let generated;
try {
  generated = generate(readFileSync(sourcePath, 'utf8'));
} catch (error) {
  console.error(`gen-protocol: ${error.message}`);
  process.exit(1);
}
const current = existsSync(targetPath) ? readFileSync(targetPath, 'utf8') : null;
if (process.argv.includes('--check')) {
  if (current !== generated) {
    console.error(`${TARGET} is ${current === null ? 'missing' : `out of date with ${SOURCE}`}: run \`npm run build\``);
    process.exit(1);
  }
} else if (current !== generated) {
  // Written only when it changes, so that an unchanged protocol does not look modified to watchers.
  writeFileSync(targetPath, generated);
}
