/**
 * The one error class for invalid configuration, everywhere (config files, optimiser and
 * schedule settings of the engine, compile specs). With a field: "config field 'a.b': …";
 * with one argument the message already names what is wrong (the engine's messages).
 */
export class ConfigError extends Error {
  readonly field: string;
  constructor(fieldOrMessage: string, message?: string) {
    super(message === undefined ? fieldOrMessage : `config field '${fieldOrMessage}': ${message}`);
    this.field = message === undefined ? '' : fieldOrMessage;
    this.name = 'ConfigError';
  }
}
