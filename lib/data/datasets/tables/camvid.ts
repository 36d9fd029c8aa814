/**
 * CamVid, 11-class version of the SegNet tutorial (as in ../shared/data/camvid): label value =
 * class index, 255 = void. Colours: the SegNet tutorial's CamVid palette.
 */
export interface CamvidClass {
  readonly id: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

export const CAMVID_CLASSES: readonly CamvidClass[] = [
  { id: 0, name: 'sky', color: [128, 128, 128] },
  { id: 1, name: 'building', color: [128, 0, 0] },
  { id: 2, name: 'pole', color: [192, 192, 128] },
  { id: 3, name: 'road', color: [128, 64, 128] },
  { id: 4, name: 'pavement', color: [60, 40, 222] },
  { id: 5, name: 'tree', color: [128, 128, 0] },
  { id: 6, name: 'sign', color: [192, 128, 128] },
  { id: 7, name: 'fence', color: [64, 64, 128] },
  { id: 8, name: 'car', color: [64, 0, 128] },
  { id: 9, name: 'pedestrian', color: [64, 64, 0] },
  { id: 10, name: 'bicyclist', color: [0, 128, 192] },
];

/** CamVid's void label value. */
export const CAMVID_VOID = 255;
