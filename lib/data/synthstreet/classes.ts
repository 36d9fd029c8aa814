/**
 * The 11 CamVid classes SynthStreet labels (ids as in ../shared/data/camvid/README.md), the void
 * id, and the conventional CamVid colour map (used only for pictures of label maps).
 */
export const CLS = {
  sky: 0, building: 1, pole: 2, road: 3, pavement: 4, tree: 5,
  sign: 6, fence: 7, car: 8, pedestrian: 9, bicyclist: 10,
} as const;

export type ClassId = (typeof CLS)[keyof typeof CLS];

export const NUM_CLASSES = 11;
export const VOID = 255;

export const CLASS_NAMES: readonly string[] = [
  'sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign', 'fence', 'car', 'pedestrian', 'bicyclist',
];

/** RGB per class id (the usual CamVid 11-class colours); void is black. */
export const CLASS_COLOURS: readonly (readonly [number, number, number])[] = [
  [128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [60, 40, 222], [128, 128, 0],
  [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0], [0, 128, 192],
];

/** Label map (H×W uint8) → colour picture (H×W×3 uint8, HWC); void and unknown ids are black. */
export function colourizeLabel(label: Uint8Array): Uint8Array {
  const out = new Uint8Array(label.length * 3);
  for (let i = 0; i < label.length; i++) {
    const c = CLASS_COLOURS[label[i]!];
    if (c === undefined) continue;
    out[3 * i] = c[0]; out[3 * i + 1] = c[1]; out[3 * i + 2] = c[2];
  }
  return out;
}
