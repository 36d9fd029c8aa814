/** Image and label file I/O (PNG 8/16-bit, palette PNG, JPEG). */
export { ImageFileError, PngFormatError } from './errors.js';
export type { RgbImage, Raster8, LabelImage } from './types.js';
export { readImage, decodeImage, readImageHeader, writePng, writeJpeg, writePng16, encodePngSharp } from './image.js';
export type { ImageHeader, Raster16 } from './image.js';
export { readLabel, decodeLabel, writeLabelPng } from './label.js';
export type { LabelWriteInput } from './label.js';
export { decodePngChannel, readPngHeader, readPngChunks, isPng } from './png-decode.js';
export { encodePng } from './png-encode.js';
