// Input lists (app/inputs.ts): paths from stdin as they arrive, split on line feeds or NULs
// wherever the chunks of the stream happen to end; the size cap on stdin.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expandInputs, InputListError, MAX_STDIN_BYTES, openInputs, streamInputs } from '../../src/app/inputs.js';
import { IMAGES } from '../cli/run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');
const options = (stdin: Readable, nullSeparated = false) => ({ recursive: false, stdin, nullSeparated });

describe('paths from stdin', () => {
  it('a path split across chunks, and a multi-byte character split between two reads, are read whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-inputs-'));
    const named = join(dir, 'caf\u00e9.jpg');
    writeFileSync(named, 'x');
    const bytes = Buffer.from(`${CAT}\r\n${named}\n`);
    const cut = bytes.indexOf(Buffer.from('\u00e9')) + 1; // between the two bytes of é
    const chunks = [bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut)];
    const items = await expandInputs(['-'], options(Readable.from(chunks)));
    expect(items).toEqual([{ path: CAT }, { path: named }]);
  });

  it('one group per read, as the paths arrive, and a last path without a line break', async () => {
    const groups = [];
    for await (const group of streamInputs(['-'], options(Readable.from([`${CAT}\n${COFFEE}\n${CAT}`, `\n\n${COFFEE}`])))) groups.push(group.map((i) => i.path));
    expect(groups).toEqual([[CAT, COFFEE], [CAT], [COFFEE]]);
  });

  it('-0: NUL-separated, names kept exactly (spaces, line breaks)', async () => {
    const items = await expandInputs(['-'], options(Readable.from([' a\nb.jpg\0', `${CAT}\0`]), true));
    expect(items.map((i) => [i.path, 'error' in i ? i.error.code : 'ok'])).toEqual([
      [' a\nb.jpg', 'ENOENT'],
      [CAT, 'ok'],
    ]);
  });

  it('arguments around `-` keep their places', async () => {
    const items = await expandInputs([COFFEE, '-', CAT], options(Readable.from([`${CAT}\n`])));
    expect(items.map((i) => i.path)).toEqual([COFFEE, CAT, CAT]);
  });

  it(`more than ${MAX_STDIN_BYTES} bytes is an InputListError, after the paths before it`, async () => {
    const mib = Buffer.alloc(2 ** 20, 0x61); // no separator: one endless "path"
    const chunks = function* () {
      yield Buffer.from(`${CAT}\n`);
      for (let i = 0; i <= MAX_STDIN_BYTES / mib.length; i++) yield mib;
    };
    const seen: string[] = [];
    const error = await (async () => {
      for await (const group of streamInputs(['-'], options(Readable.from(chunks())))) seen.push(...group.map((i) => i.path));
    })().catch((e: unknown) => e);
    expect(seen).toEqual([CAT]);
    expect(error).toBeInstanceOf(InputListError);
    expect((error as Error).message).toMatch(/^stdin: more than 268435456 bytes of paths/);
  });
});

describe('directories', () => {
  function tree(): string {
    const dir = mkdtempSync(join(tmpdir(), 'vit-inputs-'));
    for (const sub of ['sub', '.git', 'sub/.thumbnails']) mkdirSync(join(dir, sub));
    for (const file of ['a.jpg', 'sub/b.png', '.git/c.jpg', 'sub/.thumbnails/d.png', '.hidden.png']) writeFileSync(join(dir, file), 'x');
    writeFileSync(join(dir, '._a.jpg'), Buffer.from([0, 5, 22, 7, 0, 2, 0, 0])); // AppleDouble: macOS metadata, not a JPEG
    writeFileSync(join(dir, 'sub', '._b.png'), Buffer.from([0, 5, 22, 7]));
    return dir;
  }

  it('a scan leaves out dotfiles (macOS ._name.jpg) and, under --recursive, dot-directories', async () => {
    const dir = tree();
    const flat = await expandInputs([dir], options(Readable.from([])));
    expect(flat.map((i) => i.path)).toEqual([join(dir, 'a.jpg')]);
    const deep = await expandInputs([dir], { ...options(Readable.from([])), recursive: true });
    expect(deep.map((i) => i.path)).toEqual([join(dir, 'a.jpg'), join(dir, 'sub', 'b.png')]);
  });

  it('a hidden file or directory named as an argument is still read', async () => {
    const dir = tree();
    const items = await expandInputs([join(dir, '._a.jpg'), join(dir, '.git')], options(Readable.from([])));
    expect(items.map((i) => i.path)).toEqual([join(dir, '._a.jpg'), join(dir, '.git', 'c.jpg')]);
  });

  it('a directory with only dotfiles has no images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-inputs-'));
    writeFileSync(join(dir, '._x.jpg'), 'x');
    const [item] = await expandInputs([dir], options(Readable.from([])));
    expect(item).toMatchObject({ path: dir, error: { code: 'NO_IMAGES' } });
  });
});

describe('openInputs', () => {
  it('without `-`: the whole list, counted', async () => {
    const opened = await openInputs([CAT, COFFEE], options(Readable.from([])));
    expect(opened?.count).toBe(2);
    expect([...(opened!.source as Iterable<unknown>)]).toEqual([{ path: CAT }, { path: COFFEE }]);
  });

  it('with `-`: ready once the first path is in, before stdin ends; undefined for an empty list', async () => {
    const stdin = new PassThrough();
    stdin.write(`${CAT}\n`);
    const opened = await openInputs(['-'], options(stdin));
    expect(opened?.count).toBeUndefined();
    stdin.end(`${COFFEE}\n`);
    const paths = [];
    for await (const group of opened!.source as AsyncIterable<{ path: string }[]>) paths.push(...group.map((i) => i.path));
    expect(paths).toEqual([CAT, COFFEE]);

    expect(await openInputs(['-'], options(Readable.from(['\n\n'])))).toBeUndefined();
  });

  it('an empty directory still counts as an input (its NO_IMAGES record)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-inputs-'));
    mkdirSync(join(dir, 'empty'));
    const opened = await openInputs([join(dir, 'empty')], options(Readable.from([])));
    expect(opened?.count).toBe(1);
  });
});
