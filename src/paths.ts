// Files shipped with the package, located relative to this module (src/ and dist/ sit at the
// same depth below the package root, so this works from both).

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** torchvision's ImageNet-1k class names. */
export const IMAGENET_LABELS_PATH = join(PACKAGE_ROOT, 'labels', 'imagenet_classes.txt');
/** The PyTorch parity fixtures that `vit verify` checks by default. */
export const BUNDLED_FIXTURES_DIR = join(PACKAGE_ROOT, 'fixtures', 'models');
