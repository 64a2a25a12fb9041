// The resize engines a user can choose, without loading sharp (the CLI's --help needs the names only).

/** 'pillow': timm's Pillow resize reimplemented, bit-exact; 'sharp': libvips' resize, faster on large images, not exact. */
export type ResizeEngine = 'pillow' | 'sharp';
export const RESIZE_ENGINES: readonly ResizeEngine[] = ['pillow', 'sharp'];
