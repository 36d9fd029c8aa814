/**
 * SynthStreet styles: the source ("game-like") style and the named target styles, as data.
 *
 * A style is a set of independent knobs, each a severity in [0, 1] (0 = the source's
 * behaviour, 1 = the strongest shift). Appearance knobs change only pixels; the two layout knobs
 * (`priorShift`, `shapeShift`) change the sampled scene, so labels of a target style differ
 * from the source's for the same seed where objects were added/removed or reshaped (the rest of
 * the layout, drawn from separate random streams, stays the same).
 */

export type LightKind = 'day' | 'overcast' | 'dusk';

export interface StyleKnobs {
  /** One-line description (shown by `--help` and in docs/synthstreet.md). */
  readonly description: string;
  /**
   * Photo-like procedural textures: fBm value noise on facades (plaster stains, vertical
   * streaks, brick courses), asphalt grain and patches, sidewalk tiles, leaf clusters in
   * canopies, bark, paint gradients, cloth folds, clouds. 0 = flat shading (source).
   */
  readonly texture: number;
  /**
   * Per-class palette: 0 = saturated game colours with per-instance jitter (source), 1 = a
   * realistic palette (grey/white/black cars, brick and concrete facades, dull foliage).
   */
  readonly palette: number;
  /**
   * Light and white balance. 'day' = bright daylight (source); 'overcast' = grey cloudy sky,
   * flat low-contrast light, desaturated, cool white balance; 'dusk' = dark scene (mean luma
   * ≈ 60 at severity 1, like CamVid's dusk sequence), orange-to-violet sky, warm cast, lit
   * windows, glowing car and street lights. Severity scales the change.
   */
  readonly light: { readonly kind: LightKind; readonly severity: number };
  /** Depth haze / fog: colour → haze colour by 1 − exp(−depth / D), D = 1500·e^(−5.2·s) m (∞ at 0, ≈ 18 m at 0.85, ≈ 8 m at 1). */
  readonly haze: number;
  /** Gaussian blur (defocus / motion), σ up to 1.6 px. */
  readonly blur: number;
  /** Low-resolution capture: box-downsample by up to 3.5× and bilinear upsample back. */
  readonly lowres: number;
  /** Sensor noise: signal-dependent Gaussian, luma-correlated plus chroma, σ up to 0.06 (≈ 15/255) at full brightness. */
  readonly noise: number;
  /** JPEG-like artefacts: 8×8 DCT quantisation of Y, Cb, Cr (chroma 2×2-subsampled), quantiser scale 1 → 15 (≈ JPEG quality 95 → 15). */
  readonly jpeg: number;
  /**
   * Spatially varying light (lighting.ts): hard-edged cast shadows of buildings and trees under
   * day/overcast light (shadow ≈ 0.28× and bluish, sunlit ≈ 1.2× and warm), pools of street
   * light along the street at dusk. A per-pixel change no global colour statistic undoes.
   */
  readonly shadows: number;
  /** Autumn vegetation (season.ts): foliage orange/red/yellow/brown per canopy, dry brown grass. */
  readonly season: number;
  /** Class-prior shift: fewer cars (up to −60 %), more pedestrians and bicyclists (up to +75 %). */
  readonly priorShift: number;
  /**
   * Object shape sampling: boxier/taller vehicles (vans, SUVs, hatchbacks), slimmer or
   * coat-wearing pedestrians, blob-cluster and conifer canopies with leaf gaps, taller
   * buildings with other window grids and pitched roofs, rail/mesh fences, other sign shapes,
   * yellow centre lines, narrower sidewalks. Continuous sizes are interpolated; discrete
   * variants are chosen with probability ∝ severity.
   */
  readonly shapeShift: number;
}

export const STYLE_NAMES = ['source', 'overcast-photo', 'dusk', 'foggy-lowres', 'sunny-photo'] as const;
export type StyleName = (typeof STYLE_NAMES)[number];

/** The preset table. `source` is the labelled training domain; the others are targets. */
export const STYLE_PRESETS: Readonly<Record<StyleName, StyleKnobs>> = {
  source: {
    description: 'game-like source: flat shading, clean edges, saturated palette, bright daylight, no noise',
    texture: 0, palette: 0, light: { kind: 'day', severity: 0 },
    haze: 0, blur: 0, lowres: 0, noise: 0, jpeg: 0, shadows: 0, season: 0, priorShift: 0, shapeShift: 0,
  },
  'overcast-photo': {
    description: 'overcast city: photo textures, grey sky, flat cool light, mild blur, noise and JPEG; more pedestrians, other shapes',
    texture: 0.9, palette: 0.85, light: { kind: 'overcast', severity: 0.75 },
    haze: 0.25, blur: 0.3, lowres: 0.1, noise: 0.35, jpeg: 0.35, shadows: 0, season: 0.9, priorShift: 0.5, shapeShift: 0.65,
  },
  dusk: {
    description: 'dusk city: dark warm light, lit windows, strong sensor noise, textures, JPEG; other shapes',
    texture: 0.75, palette: 0.7, light: { kind: 'dusk', severity: 0.85 },
    haze: 0.15, blur: 0.25, lowres: 0.2, noise: 0.8, jpeg: 0.4, shadows: 1, season: 0.6, priorShift: 0.35, shapeShift: 0.5,
  },
  'foggy-lowres': {
    description: 'foggy low-resolution camera: dense depth haze, soft detail, heavy JPEG, textures, other shapes',
    texture: 0.6, palette: 0.75, light: { kind: 'overcast', severity: 0.4 },
    haze: 0.7, blur: 0.35, lowres: 0.7, noise: 0.25, jpeg: 0.65, shadows: 0, season: 0, priorShift: 0.4, shapeShift: 0.55,
  },
  'sunny-photo': {
    description: 'sunny photo: daylight kept, but photo textures, realistic palette, other shapes and priors, light noise/JPEG',
    texture: 1, palette: 0.9, light: { kind: 'day', severity: 0 },
    haze: 0.1, blur: 0.15, lowres: 0, noise: 0.2, jpeg: 0.25, shadows: 0.85, season: 0.4, priorShift: 0.6, shapeShift: 0.8,
  },
};

const SEVERITY_FIELDS = ['texture', 'palette', 'haze', 'blur', 'lowres', 'noise', 'jpeg', 'shadows', 'season', 'priorShift', 'shapeShift'] as const;

/** Validate knobs (every severity a number in [0, 1], a known light kind); throws naming the field. */
export function validateStyle(k: StyleKnobs, where = 'style'): StyleKnobs {
  for (const f of SEVERITY_FIELDS) {
    const v = (k as unknown as Record<string, unknown>)[f];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${where}.${f}: severity must be a number in [0, 1], got ${String(v)}`);
  }
  if (k.light === undefined || typeof k.light !== 'object') throw new Error(`${where}.light: missing ({kind, severity})`);
  if (!['day', 'overcast', 'dusk'].includes(k.light.kind)) throw new Error(`${where}.light.kind: must be day|overcast|dusk, got ${String(k.light.kind)}`);
  if (typeof k.light.severity !== 'number' || !(k.light.severity >= 0 && k.light.severity <= 1)) {
    throw new Error(`${where}.light.severity: must be a number in [0, 1], got ${String(k.light.severity)}`);
  }
  return k;
}

/** A preset by name, or validated custom knobs. Unknown names list the known ones. */
export function resolveStyle(style: StyleName | string | StyleKnobs): StyleKnobs {
  if (typeof style === 'string') {
    const k = (STYLE_PRESETS as Record<string, StyleKnobs>)[style];
    if (k === undefined) throw new Error(`unknown SynthStreet style '${style}' (known: ${STYLE_NAMES.join(', ')})`);
    return k;
  }
  return validateStyle(style);
}

/** The same knobs with the layout knobs (priorShift, shapeShift) set to 0: pixels shift, labels equal the source's. */
export function appearanceOnly(k: StyleKnobs): StyleKnobs {
  return { ...k, description: `${k.description} (appearance only)`, priorShift: 0, shapeShift: 0 };
}
