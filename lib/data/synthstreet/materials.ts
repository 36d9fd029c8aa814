/**
 * Surface materials of SynthStreet parts. A material decides how the shading pass textures and
 * lights a pixel (the class id decides only the label).
 */
export const MAT = {
  sky: 0, facade: 1, window: 2, roof: 3, road: 4, marking: 5, sidewalk: 6, curb: 7, ground: 8,
  metal: 9, signFace: 10, trunk: 11, foliage: 12, fence: 13, paint: 14, glass: 15, tyre: 16,
  lamp: 17, skin: 18, cloth: 19, hair: 20, misc: 21,
} as const;

export type Material = (typeof MAT)[keyof typeof MAT];
