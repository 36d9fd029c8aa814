/**
 * Errors raised while reading or writing image files. Every message names the file, so that a
 * corrupt frame deep inside a 25 000-image dataset can be found and replaced.
 */
export class ImageFileError extends Error {
  /** The file that could not be read or written. */
  readonly file: string;
  /** What went wrong, without the file name. */
  readonly reason: string;

  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'ImageFileError';
    this.file = file;
    this.reason = reason;
  }
}

/** Raised by the PNG decoder for malformed input; the caller attaches the file name. */
export class PngFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngFormatError';
  }
}

/** Turns any error from a read of `file` into an ImageFileError naming it. */
export function fileError(file: string, err: unknown): ImageFileError {
  if (err instanceof ImageFileError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return new ImageFileError(file, 'file not found');
  if (e && e.code === 'EISDIR') return new ImageFileError(file, 'is a directory, not an image file');
  const msg = e && typeof e.message === 'string' ? e.message : String(err);
  return new ImageFileError(file, msg);
}
