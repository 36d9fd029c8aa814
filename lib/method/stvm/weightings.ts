/**
 * Entry point of the weighting registry with every registration loaded: the built-ins of
 * weighting.ts and the plug-ins (baselines) listed below. Import the registry from here when
 * names are resolved (configs), so that every registered weighting is known.
 * Append-only list of plug-in modules: `echo "import './<dir>/<file>.js';" >> lib/method/stvm/weightings.ts`
 */
export * from './weighting.js';
import '../baselines/weightings.js';
