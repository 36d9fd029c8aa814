/**
 * `promtool check metrics` (the Prometheus project's own linter) on each component's
 * exposition, after every metric has been observed at least once. promtool must be installed
 * (.ci/run installs it); a missing promtool fails the test with instructions.
 */
import assert from 'node:assert/strict';
import { promtoolCheckMetrics } from '../helpers/prometheus.js';
import { exercisedMetrics, parseExposition } from './metrics-exercise.js';

describe('services/metrics pass promtool', () => {
  for (const component of ['teacher', 'student', 'orchestrator'] as const) {
    it(`${component}: every metric observed, and promtool check metrics finds nothing`, async () => {
      const m = exercisedMetrics(component);
      const text = await m.registry.metrics();
      for (const [name, f] of parseExposition(text)) {
        if (name.startsWith('sfda_')) assert.ok(f.samples.length > 0, `${name} has no sample: the test must observe every metric`);
      }
      const r = promtoolCheckMetrics(text);
      assert.equal(r.output, '', `promtool check metrics:\n${r.output}`);
      assert.equal(r.status, 0);
    });
  }
});
