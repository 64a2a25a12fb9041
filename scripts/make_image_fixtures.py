#!/usr/bin/python3
"""Make the image-decoding and preprocessing fixtures for test/image/*.test.ts.

Run with Debian's interpreter (Pillow 9.4 + torchvision 0.14):

    /usr/bin/python3 scripts/make_image_fixtures.py

It writes, deterministically (re-running gives byte-identical files):

  test/fixtures/images/      the sample photos copied from ../shared/images (tests never read
                             ../shared), plus odd images made here: grayscale, alpha, palette,
                             16-bit, 1-bit, tiny/narrow/wide, animated GIF, progressive JPEG,
                             EXIF-rotated JPEG, CMYK JPEG, an ICC-tagged (Adobe-RGB-like) JPEG,
                             and broken files for the error tests.
  test/fixtures/preprocess/  what Pillow + torchvision make of them:
      manifest.json          one entry per image (Pillow's mode, size, sha256 of convert('RGB'))
                             and one per (image, config) case with the resize size and crop box
      expected/*.png         the resized + cropped uint8 RGB image (before ToTensor), per case
      decoded/*.png          Pillow's convert('RGB') of each small odd image
      geometry.json          resize size and crop box for a table of source sizes x configs
      tensor_*.bin           ToTensor + Normalize output (float32 little-endian, [3,H,W])

The expected values come from Pillow and torchvision themselves, except for timm's own glue
(crop_pct -> scale size, ResizeKeepRatio for 'border' and non-square 'center', the border fill),
which is re-stated below from timm's transforms_imagenet_eval / ResizeKeepRatio because timm is
not installed on this machine.
"""

import hashlib
import io
import json
import math
import os
import shutil
import struct
import zlib

import numpy as np
import torch
from PIL import Image, features
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), 'shared', 'images')
IMAGES = os.path.join(ROOT, 'test', 'fixtures', 'images')
PRE = os.path.join(ROOT, 'test', 'fixtures', 'preprocess')

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HALF = (0.5, 0.5, 0.5)

# Named preprocessing configs, in the TypeScript PreprocessConfig shape.
CONFIGS = {
    # vit_base_patch16_384's pretrained config
    'vit384': dict(inputSize=[3, 384, 384], interpolation='bicubic', mean=HALF, std=HALF,
                   cropPct=1.0, cropMode='center'),
    'bilinear224': dict(inputSize=[3, 224, 224], interpolation='bilinear', mean=IMAGENET_MEAN,
                        std=IMAGENET_STD, cropPct=0.875, cropMode='center'),
    'bicubic224': dict(inputSize=[3, 224, 224], interpolation='bicubic', mean=IMAGENET_MEAN,
                       std=IMAGENET_STD, cropPct=0.9, cropMode='center'),
    'squash384': dict(inputSize=[3, 384, 384], interpolation='bicubic', mean=HALF, std=HALF,
                      cropPct=1.0, cropMode='squash'),
    'squash224': dict(inputSize=[3, 224, 224], interpolation='bicubic', mean=IMAGENET_MEAN,
                      std=IMAGENET_STD, cropPct=0.875, cropMode='squash'),
    'border224': dict(inputSize=[3, 224, 224], interpolation='bicubic', mean=IMAGENET_MEAN,
                      std=IMAGENET_STD, cropPct=0.875, cropMode='border'),
    'nearest224': dict(inputSize=[3, 224, 224], interpolation='nearest', mean=IMAGENET_MEAN,
                       std=IMAGENET_STD, cropPct=0.875, cropMode='center'),
    # non-square input: timm resizes with ResizeKeepRatio (and, as timm is written, bilinear)
    'rect256x320': dict(inputSize=[3, 256, 320], interpolation='bicubic', mean=HALF, std=HALF,
                        cropPct=0.95, cropMode='center'),
    # squash to sizes where one side keeps its length, so Pillow runs only one of its two passes
    # (on the 120x90 rgba.png: horizontal only, then vertical only)
    'squashKeepH': dict(inputSize=[3, 90, 64], interpolation='bicubic', mean=HALF, std=HALF,
                        cropPct=1.0, cropMode='squash'),
    'squashKeepW': dict(inputSize=[3, 150, 120], interpolation='bilinear', mean=HALF, std=HALF,
                        cropPct=1.0, cropMode='squash'),
    # crop_pct > 1 (timm allows it): scale_size = floor(size / crop_pct) is smaller than the crop,
    # so torchvision's CenterCrop pads with 0 (timm's border mode: with the mean colour)
    'cropPct125': dict(inputSize=[3, 224, 224], interpolation='bicubic', mean=HALF, std=HALF,
                       cropPct=1.25, cropMode='center'),
    'cropPct2squash': dict(inputSize=[3, 96, 96], interpolation='bilinear', mean=HALF, std=HALF,
                           cropPct=2.0, cropMode='squash'),
    'cropPct15border': dict(inputSize=[3, 96, 96], interpolation='bicubic', mean=IMAGENET_MEAN,
                            std=IMAGENET_STD, cropPct=1.5, cropMode='border'),
    # small configs for the normalized-tensor fixtures
    'tensor32': dict(inputSize=[3, 32, 32], interpolation='bicubic', mean=IMAGENET_MEAN,
                     std=IMAGENET_STD, cropPct=0.875, cropMode='center'),
    'tensor24half': dict(inputSize=[3, 24, 24], interpolation='bilinear', mean=HALF, std=HALF,
                         cropPct=1.0, cropMode='squash'),
}

INTERP = {
    'bicubic': InterpolationMode.BICUBIC,
    'bilinear': InterpolationMode.BILINEAR,
    'nearest': InterpolationMode.NEAREST,
}


# --------------------------------------------------------------------------------------------
# timm's eval transform, built from torchvision pieces (timm itself is not installed here)
# --------------------------------------------------------------------------------------------

def scale_size_of(cfg):
    """timm: scale_size = floor(x / crop_pct) for each of (H, W) (crop_pct None/0 -> 0.875)."""
    crop_pct = cfg['cropPct'] or 0.875
    _, h, w = cfg['inputSize']
    return (math.floor(h / crop_pct), math.floor(w / crop_pct))


def keep_ratio_size(img_h, img_w, target_h, target_w, longest):
    """timm ResizeKeepRatio.get_params without the random parts: returns [h, w]."""
    ratio_h = img_h / target_h
    ratio_w = img_w / target_w
    ratio = max(ratio_h, ratio_w) * longest + min(ratio_h, ratio_w) * (1.0 - longest)
    return [round(img_h / ratio), round(img_w / ratio)]


def resize_size_of(img_w, img_h, cfg):
    """(interpolation, [h, w]) of the resize step, as timm's transforms_imagenet_eval picks it."""
    scale_h, scale_w = scale_size_of(cfg)
    interp = INTERP[cfg['interpolation']]
    mode = cfg['cropMode']
    if mode == 'squash':
        return interp, [scale_h, scale_w]
    if mode == 'border':
        return interp, keep_ratio_size(img_h, img_w, scale_h, scale_w, 1.0)
    if scale_h == scale_w:
        # torchvision Resize(int): shorter side -> scale, longer side truncated
        return interp, F._compute_resized_output_size((img_h, img_w), [scale_h])
    # timm builds ResizeKeepRatio(scale_size) here without passing interpolation: bilinear
    return InterpolationMode.BILINEAR, keep_ratio_size(img_h, img_w, scale_h, scale_w, 0.0)


def fill_of(cfg):
    """Pad colour: torchvision CenterCrop pads with 0; timm's border mode with round(255*mean)."""
    if cfg['cropMode'] == 'border':
        return [round(255 * v) for v in cfg['mean']]
    return 0


def timm_eval_uint8(img, cfg):
    """The resized + cropped PIL image (before ToTensor), via torchvision's own functions."""
    _, h, w = cfg['inputSize']
    interp, size = resize_size_of(img.width, img.height, cfg)
    img = F.resize(img, size, interp)
    fill = fill_of(cfg)
    if fill == 0:
        return F.center_crop(img, [h, w])
    # timm's CenterCropOrPad: pad (split like torchvision) with the fill colour, then crop
    return center_crop_or_pad(img, h, w, fill)


def center_crop_or_pad(img, crop_h, crop_w, fill):
    """timm center_crop_or_pad restated: torchvision center_crop with a fill colour."""
    img_w, img_h = img.size
    if crop_w > img_w or crop_h > img_h:
        pad = [
            (crop_w - img_w) // 2 if crop_w > img_w else 0,
            (crop_h - img_h) // 2 if crop_h > img_h else 0,
            (crop_w - img_w + 1) // 2 if crop_w > img_w else 0,
            (crop_h - img_h + 1) // 2 if crop_h > img_h else 0,
        ]
        img = F.pad(img, pad, fill=tuple(fill))
        img_w, img_h = img.size
        if crop_w == img_w and crop_h == img_h:
            return img
    top = int(round((img_h - crop_h) / 2.0))
    left = int(round((img_w - crop_w) / 2.0))
    return F.crop(img, top, left, crop_h, crop_w)


def timm_eval_tensor(img, cfg):
    """ToTensor + Normalize exactly as timm appends them (mean/std as float32 tensors)."""
    t = T.Compose([
        T.ToTensor(),
        T.Normalize(mean=torch.tensor(cfg['mean']), std=torch.tensor(cfg['std'])),
    ])
    return t(timm_eval_uint8(img, cfg))


def crop_box_of(resized_w, resized_h, cfg):
    """Crop box in resized-image coordinates, read back from torchvision's center_crop itself.

    A view holding 1-based x (resp. y) coordinates is cropped; padding shows up as 0, so the
    first non-padded output column gives left = coordinate - 1 - column. expand() allocates
    nothing, so even a 384 x 100000 resize costs no memory.
    """
    _, ch, cw = cfg['inputSize']
    xs = torch.arange(1, resized_w + 1, dtype=torch.int64).view(1, 1, resized_w).expand(1, resized_h, resized_w)
    ys = torch.arange(1, resized_h + 1, dtype=torch.int64).view(1, resized_h, 1).expand(1, resized_h, resized_w)
    out_x = F.center_crop(xs, [ch, cw])[0]
    out_y = F.center_crop(ys, [ch, cw])[0]
    row = next(r for r in range(ch) if out_y[r].max() > 0)
    col = next(c for c in range(cw) if out_x[row, c] > 0)
    left = int(out_x[row, col]) - 1 - col
    top = int(out_y[row, col]) - 1 - row
    return dict(left=left, top=top, width=cw, height=ch)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def save_png(img, path):
    # A fresh image: Pillow carries info (ICC profile, tRNS colour) through convert/resize, and
    # an expected-output PNG must hold plain pixels only.
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    if img.mode == 'P':
        clean.putpalette(img.getpalette())
    clean.save(path, format='PNG', optimize=True)


def write_png_raw(path, width, height, bit_depth, color_type, rows):
    """Minimal PNG writer (filter 0) for what Pillow cannot write, e.g. 16-bit RGB."""
    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)
    raw = b''.join(b'\x00' + r for r in rows)
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, color_type, 0, 0, 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw, 9))
                + chunk(b'IEND', b''))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def rel(path):
    return os.path.relpath(path, ROOT)


def s15f16(v):
    return struct.pack('>i', int(round(v * 65536)))


def make_icc_profile():
    """A tiny ICC v2 RGB matrix/TRC profile with Adobe RGB (1998)-like primaries and gamma 2.2.

    Built by hand because no profile files are installed here; lcms/libvips accept it, Pillow
    ignores embedded profiles on convert('RGB'), which is what the ignoreIcc default mirrors.
    """
    def xyz(x, y, z):
        return b'XYZ ' + b'\0' * 4 + s15f16(x) + s15f16(y) + s15f16(z)

    def desc(text):
        t = text.encode('ascii') + b'\0'
        return b'desc' + b'\0' * 4 + struct.pack('>I', len(t)) + t + b'\0' * 4 + b'\0' * 4 + b'\0' * 3 + b'\0' * 67

    curve = b'curv' + b'\0' * 4 + struct.pack('>I', 1) + struct.pack('>H', int(2.2 * 256)) + b'\0\0'
    tags = [
        (b'desc', desc('vit test Adobe-like RGB')),
        (b'cprt', b'text' + b'\0' * 4 + b'No copyright, test data\0'),
        (b'wtpt', xyz(0.9642, 1.0, 0.8249)),
        # D50-adapted colorant XYZ of Adobe RGB (1998)
        (b'rXYZ', xyz(0.60974, 0.31111, 0.01947)),
        (b'gXYZ', xyz(0.20528, 0.62567, 0.06087)),
        (b'bXYZ', xyz(0.14919, 0.06322, 0.74457)),
        (b'rTRC', curve), (b'gTRC', curve), (b'bTRC', curve),
    ]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table = struct.pack('>I', len(tags))
    body = b''
    for sig, data in tags:
        while len(data) % 4:
            data += b'\0'
        table += sig + struct.pack('>II', offset + len(body), len(data))
        body += data
    size = 128 + table_len + len(body)
    header = struct.pack('>I', size) + b'none' + bytes([2, 0x10, 0, 0]) + b'mntr' + b'RGB ' + b'XYZ '
    header += b'\0' * 12  # date
    header += b'acsp' + b'APPL' + b'\0' * 4 + b'none' + b'none' + b'\0' * 8 + struct.pack('>I', 0)
    header += s15f16(0.9642) + s15f16(1.0) + s15f16(0.8249)  # PCS illuminant D50
    header += b'none' + b'\0' * 16 + b'\0' * 28
    assert len(header) == 128, len(header)
    return header + table + body


# --------------------------------------------------------------------------------------------
# the images
# --------------------------------------------------------------------------------------------

def copy_samples():
    for name in ['cat.jpg', 'cat.png', 'coffee.jpg', 'coffee.png', 'LICENSES.md']:
        shutil.copyfile(os.path.join(SHARED, name), os.path.join(IMAGES, name))


def make_odd_images():
    """Odd inputs, all small, derived from the CC0 sample photos or drawn from formulas."""
    cat = Image.open(os.path.join(IMAGES, 'cat.png')).convert('RGB')
    coffee = Image.open(os.path.join(IMAGES, 'coffee.png')).convert('RGB')
    cat_small = cat.crop((150, 40, 310, 160)).resize((96, 72), Image.LANCZOS)  # the face
    coffee_small = coffee.crop((180, 60, 380, 210)).resize((120, 90), Image.LANCZOS)  # the cup
    out = lambda name: os.path.join(IMAGES, name)

    save_png(cat_small.convert('L'), out('gray.png'))
    cat_small.convert('L').save(out('gray.jpg'), quality=90)

    # RGBA with alpha varying 0..255 across x, RGB kept (Pillow does not composite)
    a = np.tile(np.linspace(0, 255, coffee_small.width).round().astype(np.uint8), (coffee_small.height, 1))
    a[:20, :] = 0  # a fully transparent band over real colour
    rgba = coffee_small.copy()
    rgba.putalpha(Image.fromarray(a, 'L'))
    save_png(rgba, out('rgba.png'))
    la = cat_small.convert('L')
    la.putalpha(Image.fromarray(np.tile(np.linspace(255, 0, la.height).round().astype(np.uint8)[:, None], (1, la.width)), 'L'))
    save_png(la, out('gray_alpha.png'))

    pal = coffee_small.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    save_png(pal, out('palette.png'))
    pal.save(out('palette_trns.png'), format='PNG', optimize=False, transparency=0)

    save_png(cat_small.convert('1'), out('bilevel.png'))

    # 16-bit grayscale: top half a ramp 0..65535, bottom half 0..400 (where Pillow's clip shows)
    w16, h16 = 64, 48
    g = np.zeros((h16, w16), dtype='>u2')
    g[: h16 // 2] = np.linspace(0, 65535, w16).round().astype(np.uint32)
    g[h16 // 2:] = (np.arange(w16 * (h16 // 2)).reshape(h16 // 2, w16) * 400 // (w16 * (h16 // 2))).astype(np.uint32)
    write_png_raw(out('gray16.png'), w16, h16, 16, 0, [g[r].tobytes() for r in range(h16)])
    # 16-bit RGB (Pillow cannot write it: written by write_png_raw); channels of varied low bytes
    ys, xs = np.mgrid[0:h16, 0:w16]
    rgb16 = np.stack([xs * 1031 % 65536, ys * 1361 % 65536, (xs * 37 + ys * 977) % 65536], -1).astype('>u2')
    write_png_raw(out('rgb16.png'), w16, h16, 16, 2, [rgb16[r].tobytes() for r in range(h16)])
    la16 = np.stack([(xs * 1023 + ys * 11) % 65536, (ys * 1361) % 65536], -1).astype('>u2')
    write_png_raw(out('gray_alpha16.png'), w16, h16, 16, 4, [la16[r].tobytes() for r in range(h16)])

    Image.new('RGB', (1, 1), (200, 30, 90)).save(out('tiny_1x1.png'))
    save_png(cat.resize((5, 300), Image.BICUBIC), out('strip_5x300.png'))
    save_png(coffee.resize((1000, 20), Image.BICUBIC), out('wide_1000x20.png'))

    # animated GIF: three different frames, no transparency; the first one is what counts
    frames = []
    for i, colour in enumerate([(220, 40, 40), (40, 200, 60), (30, 60, 210)]):
        f = Image.new('RGB', (48, 32), colour)
        f.paste(cat_small.resize((24, 16), Image.BILINEAR), (4 + 8 * i, 8))
        frames.append(f.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    frames[0].save(out('animated.gif'), save_all=True, append_images=frames[1:], duration=100, loop=0)

    # animated GIF whose first frame has transparent pixels: Pillow gives them the palette
    # colour of the transparent index (libvips gives black with alpha 0)
    pal = [250, 0, 250, 10, 20, 30, 200, 100, 50, 90, 200, 90] + [0] * (256 * 3 - 12)
    first = Image.new('P', (40, 24), 1)
    first.putpalette(pal)
    for y in range(24):
        for x in range(40):
            if (x // 5 + y // 4) % 3 == 0:
                first.putpixel((x, y), 0)  # transparent
            elif x > 30:
                first.putpixel((x, y), 2)
    second = Image.new('P', (40, 24), 3)
    second.putpalette(pal)
    first.save(out('animated_trns.gif'), save_all=True, append_images=[second], transparency=0,
               duration=80, loop=0, disposal=2)

    cat.save(out('progressive.jpg'), quality=90, progressive=True)

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display; Pillow/timm ignore it
    coffee_small.save(out('exif_rotated.jpg'), quality=90, exif=exif.tobytes())

    coffee_small.convert('CMYK').save(out('cmyk.jpg'), quality=90)
    coffee_small.save(out('icc_adobe_like.jpg'), quality=90, icc_profile=make_icc_profile())
    coffee_small.save(out('photo.webp'), quality=85, method=4)
    coffee_small.save(out('photo.tiff'), compression='tiff_lzw')
    coffee_small.save(out('subsampling_444.jpg'), quality=90, subsampling=0)
    coffee_small.save(out('subsampling_422.jpg'), quality=90, subsampling=1)
    # a format Pillow opens but libvips (sharp's prebuilt binaries) does not: an expected error
    cat_small.save(out('legacy.bmp'))

    # broken inputs for the error tests
    open(out('empty.jpg'), 'wb').close()
    with open(out('not_an_image.jpg'), 'w') as f:
        f.write('This is a text file with a .jpg name, not an image.\n')
    data = open(os.path.join(IMAGES, 'cat.jpg'), 'rb').read()
    with open(out('truncated.jpg'), 'wb') as f:
        f.write(data[: len(data) * 2 // 5])
    data = open(out('gray.png'), 'rb').read()
    with open(out('truncated.png'), 'wb') as f:
        f.write(data[: len(data) * 3 // 5])
    with open(out('corrupt.png'), 'wb') as f:  # complete file, garbage inside the IDAT data
        f.write(data[:1000] + b'\x55' * 600 + data[1600:])
    data = open(out('photo.webp'), 'rb').read()
    with open(out('truncated.webp'), 'wb') as f:
        f.write(data[: len(data) // 2])
    # a PNG whose header claims 40000 x 40000 (1.6 G pixels) over a few bytes of data
    def chunk(tag, payload):
        return struct.pack('>I', len(payload)) + tag + payload + struct.pack('>I', zlib.crc32(tag + payload) & 0xffffffff)
    bomb = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 40000, 40000, 8, 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\x00' * 40001 * 4, 9)) + chunk(b'IEND', b''))
    with open(out('bomb_header.png'), 'wb') as f:
        f.write(bomb)


# Which configs to run on which image (the photos get the four headline configs; the rest get
# cheaper sets so the committed PNGs stay small).
CASES = {
    'cat.jpg': ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'border224', 'nearest224', 'rect256x320'],
    'cat.png': ['vit384', 'bilinear224', 'bicubic224', 'squash384'],
    'coffee.jpg': ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'squash224'],
    'coffee.png': ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'border224', 'nearest224', 'rect256x320'],
    'progressive.jpg': ['bicubic224'],
    'gray.png': ['vit384', 'bilinear224'],
    'gray.jpg': ['bicubic224'],
    'rgba.png': ['vit384', 'bilinear224', 'squashKeepH', 'squashKeepW'],
    'gray_alpha.png': ['bicubic224'],
    'palette.png': ['vit384', 'bilinear224'],
    'palette_trns.png': ['bicubic224'],
    'bilevel.png': ['bicubic224'],
    'gray16.png': ['bicubic224'],
    'rgb16.png': ['vit384', 'bicubic224'],
    'gray_alpha16.png': ['bicubic224'],
    'tiny_1x1.png': ['vit384', 'bilinear224', 'squash384', 'border224', 'nearest224'],
    'strip_5x300.png': ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'border224', 'nearest224', 'rect256x320'],
    'wide_1000x20.png': ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'border224', 'nearest224', 'rect256x320'],
    'animated.gif': ['bicubic224'],
    'animated_trns.gif': ['bilinear224'],
    'exif_rotated.jpg': ['bicubic224'],
    'cmyk.jpg': ['bicubic224'],
    'icc_adobe_like.jpg': ['bicubic224'],
    'photo.webp': ['bicubic224'],
    'photo.tiff': ['bicubic224'],
    'subsampling_444.jpg': ['bicubic224'],
    'subsampling_422.jpg': ['bicubic224'],
}
# crop_pct > 1 on images of three shapes (added after the cases above, which stay as they were)
CASES['cat.jpg'] += ['cropPct125', 'cropPct2squash', 'cropPct15border']
CASES['strip_5x300.png'] += ['cropPct125', 'cropPct15border']
CASES['wide_1000x20.png'] += ['cropPct125', 'cropPct2squash', 'cropPct15border']

PHOTOS = ('cat.jpg', 'cat.png', 'coffee.jpg', 'coffee.png', 'progressive.jpg')
# Odd images are small enough to keep Pillow's whole decoded RGB as a PNG.
KEEP_DECODED = [n for n in CASES if n not in PHOTOS]
# Expected outputs kept as PNG (so tests can report a max abs diff); to stay within the size
# budget the other photo cases, and any odd-image output over PNG_BUDGET bytes, are checked by
# the SHA-256 of their raw RGB bytes instead, i.e. for exact equality.
PHOTO_PNG = {('cat.jpg', 'vit384'), ('coffee.png', 'vit384'), ('coffee.jpg', 'bicubic224'),
             ('cat.png', 'bilinear224'), ('cat.jpg', 'nearest224'), ('coffee.png', 'border224'),
             ('cat.jpg', 'rect256x320'), ('coffee.jpg', 'squash224')}
PNG_BUDGET = 40_000

GEOMETRY_SIZES = [
    (451, 300), (300, 451), (600, 400), (384, 384), (385, 384), (384, 385), (1, 1), (2, 3),
    (5, 300), (300, 5), (1000, 20), (20, 1000), (4000, 3000), (3000, 4000), (100000, 3),
    (577, 384), (641, 427), (255, 256), (256, 255), (227, 1001), (1999, 1333),
]


def make_expected():
    for sub in ('expected', 'decoded'):
        shutil.rmtree(os.path.join(PRE, sub), ignore_errors=True)  # no stale files from other runs
        os.makedirs(os.path.join(PRE, sub))
    manifest = {'generator': {'pillow': Image.__version__, 'torch': torch.__version__,
                              'torchvision': __import__('torchvision').__version__,
                              'libjpeg_turbo': features.version('libjpeg_turbo'),
                              'webp': features.version('webp')},
                'configs': CONFIGS, 'images': {}, 'cases': []}
    for name, config_names in CASES.items():
        src = Image.open(os.path.join(IMAGES, name))
        entry = {'pillowMode': src.mode, 'width': src.width, 'height': src.height,
                 'frames': getattr(src, 'n_frames', 1)}
        rgb = src.convert('RGB')  # what timm's loaders do: Image.open(f).convert('RGB')
        entry['rgbSha256'] = sha256(rgb.tobytes())
        if name in KEEP_DECODED:
            path = os.path.join(PRE, 'decoded', name.replace('.', '_') + '.png')
            save_png(rgb, path)
            entry['decoded'] = rel(path)
        manifest['images'][name] = entry
        for cname in config_names:
            cfg = CONFIGS[cname]
            _, size = resize_size_of(rgb.width, rgb.height, cfg)
            out = timm_eval_uint8(rgb, cfg)
            assert out.mode == 'RGB' and out.size == (cfg['inputSize'][2], cfg['inputSize'][1])
            case = {'image': name, 'config': cname, 'rgbSha256': sha256(out.tobytes()),
                    'resizeSize': [size[1], size[0]], 'cropBox': crop_box_of(size[1], size[0], cfg)}
            buf = io.BytesIO()
            save_png(out, buf)
            if (name, cname) in PHOTO_PNG or (name not in PHOTOS and buf.tell() <= PNG_BUDGET):
                path = os.path.join(PRE, 'expected', f"{name.replace('.', '_')}__{cname}.png")
                with open(path, 'wb') as f:
                    f.write(buf.getvalue())
                case['expected'] = rel(path)
            manifest['cases'].append(case)
    # normalized tensors: torchvision's ToTensor + Normalize, float32 LE [3, H, W]
    manifest['tensors'] = []
    for name, cname in [('cat.png', 'tensor32'), ('coffee.jpg', 'tensor24half')]:
        rgb = Image.open(os.path.join(IMAGES, name)).convert('RGB')
        t = timm_eval_tensor(rgb, CONFIGS[cname]).contiguous()
        assert t.dtype == torch.float32
        path = os.path.join(PRE, f"tensor_{name.replace('.', '_')}__{cname}.bin")
        with open(path, 'wb') as f:
            f.write(t.numpy().astype('<f4').tobytes())
        manifest['tensors'].append({'image': name, 'config': cname, 'path': rel(path), 'shape': list(t.shape)})
    with open(os.path.join(PRE, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')


def make_geometry():
    rows = []
    for (w, h) in GEOMETRY_SIZES:
        for cname in ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'squash224', 'border224', 'rect256x320',
                      'cropPct125', 'cropPct2squash', 'cropPct15border']:
            cfg = CONFIGS[cname]
            interp, size = resize_size_of(w, h, cfg)
            if min(size) < 1:
                continue  # timm itself fails here (Pillow refuses a 0-pixel resize)
            rows.append({'sourceSize': [w, h], 'config': cname, 'resizeInterpolation': interp.value,
                         'resizeSize': [size[1], size[0]], 'cropBox': crop_box_of(size[1], size[0], cfg)})
    with open(os.path.join(PRE, 'geometry.json'), 'w') as f:
        json.dump({'configs': CONFIGS, 'rows': rows}, f, indent=1, sort_keys=True)
        f.write('\n')
    for r in rows[:12]:
        print('geometry', r['sourceSize'], r['config'], r['resizeSize'], r['cropBox'])
    print(f'geometry: {len(rows)} rows')


def main():
    os.makedirs(IMAGES, exist_ok=True)
    os.makedirs(PRE, exist_ok=True)
    copy_samples()
    make_odd_images()
    make_expected()
    make_geometry()
    total = 0
    for d in (IMAGES, PRE):
        for dirpath, _, files in os.walk(d):
            total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f'fixtures: {total / 1e6:.2f} MB in test/fixtures/images + test/fixtures/preprocess')


if __name__ == '__main__':
    main()
