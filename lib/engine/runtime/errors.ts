/** Errors of the runtime, each with a message that says what happened and what to do. */

/** A training step whose loss, gradients or buffer updates were not finite (mode 'stop'). */
export class NonFiniteStepError extends Error {
  constructor(readonly step: number, readonly loss: number, readonly program: string) {
    super(`training step ${step} (program '${program}'): the loss or a gradient is not finite (loss = ${loss}); parameters and optimiser state were left unchanged`);
    this.name = 'NonFiniteStepError';
  }
}

/** A requested execution provider that could not start, with no fallback allowed. */
export class ProviderUnavailableError extends Error {
  constructor(readonly provider: string, readonly reason: string) {
    super(`execution provider '${provider}' could not start: ${reason}. Install its runtime, choose another provider, or allow the explicit fallback (fallback: 'cpu')`);
    this.name = 'ProviderUnavailableError';
  }
}

/** A checkpoint that cannot be read or does not match the model. */
export class CheckpointError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`checkpoint ${file}: ${detail}`);
    this.name = 'CheckpointError';
  }
}
