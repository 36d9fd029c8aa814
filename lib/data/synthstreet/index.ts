/** SynthStreet public API. */
export { renderFrame, renderGeometry, frameSeed, SynthStreet, DEFAULT_WIDTH, DEFAULT_HEIGHT } from './generator.js';
export type { SynthFrame, SynthStreetOptions } from './generator.js';
export { STYLE_NAMES, STYLE_PRESETS, resolveStyle, validateStyle, appearanceOnly } from './styles.js';
export type { StyleKnobs, StyleName, LightKind } from './styles.js';
export { CLS, CLASS_NAMES, CLASS_COLOURS, NUM_CLASSES, VOID, colourizeLabel } from './classes.js';
export { frameGrid, downscaleRgb } from './grid.js';
