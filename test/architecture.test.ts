// The shape of the source tree (README "How it works"): which folder may import which, checked on
// the import statements of every file under src/. A value import across a forbidden arrow, an
// import circle, or file I/O in the numeric core fails here, naming the file and the import.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

interface Import {
  /** The importing file, relative to src/. */
  from: string;
  /** A file relative to src/ (for a relative import), else the bare specifier (`node:fs`, `sharp`). */
  target: string;
  /** Erased at compile time: `import type`, or every name marked `type`. */
  typeOnly: boolean;
  /** `import('...')`: loaded when first needed. */
  lazy: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

// Comments are removed first so that an import written in a comment is not counted; strings that
// hold code (the worker's source) are template literals without a top-level `from '...'` we match.
const STATIC = /^\s*(import|export)\s+(type\s+)?([\s\S]*?)\s*from\s*'([^']+)'/gm;
const SIDE_EFFECT = /^\s*import\s+'([^']+)'/gm;
const DYNAMIC = /\bimport\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const from = relative(SRC, file);
  const target = (spec: string) => (spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec);
  const found: Import[] = [];
  for (const m of text.matchAll(STATIC)) {
    const names = m[3].replace(/^\{|\}$/g, '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const typeOnly = m[2] !== undefined || (m[3].startsWith('{') && names.length > 0 && names.every((n) => n.startsWith('type ')));
    found.push({ from, target: target(m[4]), typeOnly, lazy: false });
  }
  for (const m of text.matchAll(SIDE_EFFECT)) found.push({ from, target: target(m[1]), typeOnly: false, lazy: false });
  for (const m of text.matchAll(DYNAMIC)) found.push({ from, target: target(m[1]), typeOnly: false, lazy: true });
  return found;
}

const FILES = sourceFiles(SRC);
const IMPORTS = FILES.flatMap(importsOf);
const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0] : '.');
const describeImport = (i: Import) => `${i.from} imports ${i.target}`;

describe('the source tree keeps its shape', () => {
  it('finds the imports it checks', () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(IMPORTS.filter((i) => i.from.startsWith('cli/')).length).toBeGreaterThan(20);
    expect(IMPORTS.some((i) => i.from.startsWith('cli/commands/') && i.target === 'app/constants.ts' && !i.typeOnly)).toBe(true);
  });

  it('cli/ imports nothing of ours but app/ and itself (types aside)', () => {
    const bad = IMPORTS.filter((i) => i.from.startsWith('cli/') && !i.typeOnly && i.target.endsWith('.ts') && !['cli', 'app'].includes(folderOf(i.target)));
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('cli/ loads the application layer lazily, so --version and --help start fast', () => {
    const eager = IMPORTS.filter((i) => i.from.startsWith('cli/') && !i.typeOnly && !i.lazy && folderOf(i.target) === 'app' && i.target !== 'app/constants.ts');
    expect(eager.map(describeImport)).toEqual([]);
    // constants.ts is the light corner of app/: it imports nothing that loads sharp or WebAssembly.
    expect(IMPORTS.filter((i) => i.from === 'app/constants.ts' && !i.typeOnly).map((i) => i.target).sort()).toEqual([
      'app/compare-outputs.ts',
      'backend/names.ts',
      'image/preprocess-fields.ts',
      'image/resize-engines.ts',
      'node:fs',
      'node:path',
      'paths.ts',
      'vit/config.ts',
      'vit/named-models.ts',
    ]);
  });

  it('only app/ (and the public index) reach into the library below it; nothing below imports app/ or cli/', () => {
    const upward = IMPORTS.filter((i) => !['cli', 'app', '.'].includes(folderOf(i.from)) && ['cli', 'app'].includes(folderOf(i.target)));
    expect(upward.map(describeImport)).toEqual([]);
  });

  it('the numeric core (vit/, backend/) does no file or network I/O', () => {
    const io = IMPORTS.filter((i) => ['vit', 'backend'].includes(folderOf(i.from)) && /^node:(fs|net|http|https|dgram)/.test(i.target));
    expect(io.map(describeImport)).toEqual([]);
  });

  it('hub/ knows no model, and checkpoint/ knows no hub', () => {
    const bad = IMPORTS.filter(
      (i) => (folderOf(i.from) === 'hub' && ['vit', 'checkpoint'].includes(folderOf(i.target))) || (folderOf(i.from) === 'checkpoint' && folderOf(i.target) === 'hub'),
    );
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('has no import circles (between files, type imports included)', () => {
    const edges = new Map<string, string[]>();
    for (const i of IMPORTS) if (i.target.endsWith('.ts')) edges.set(i.from, [...(edges.get(i.from) ?? []), i.target]);
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of edges.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });
});
