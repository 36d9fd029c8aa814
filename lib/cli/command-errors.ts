/**
 * For the training/evaluation commands: errors caused by the user's input (config, model file,
 * a model that does not fit the data) are printed as one clear line, without a stack trace.
 */
import { runMain, UsageError } from './args.js';

const INPUT_ERRORS = new Set(['ModelFitError', 'ModelFileError', 'CheckpointError', 'ModelSpecError', 'ImageFileError', 'OnnxDecodeError', 'ImportError', 'EncoderInitError', 'TfjsFormatError']);

export function runCommand(main: () => Promise<void>): void {
  runMain(async () => {
    try {
      await main();
    } catch (e) {
      const err = e as Error;
      if (INPUT_ERRORS.has(err.name)) throw new UsageError(err.message);
      throw err;
    }
  });
}
