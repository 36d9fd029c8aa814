/**
 * Observes every metric of a component's registry at least once (shared by the metrics tests),
 * and parses an exposition into families, so a test can check that none was left unobserved.
 */
import { createServiceMetrics, type Component, type ServiceMetrics } from '../../lib/services/metrics/index.js';

export const TEST_BUILD = { version: '0.1.0', commit: '0123456789abcdef0123456789abcdef01234567' };

function exerciseCommon(m: ServiceMetrics): void {
  m.grpc.observeServer('/sfda.v1.Teacher/Label', 0, 0.012);
  m.grpc.observeServer('/sfda.v1.Teacher/Label', 14, 0.5);
  m.grpc.observeClient('/sfda.v1.Student/StartRun', 4, 2);
  m.sync.bytes.inc(172_000_000);
  m.sync.seconds.observe(1.4);
  m.sync.recordFailure('corrupt');
  m.sync.staleness.set(3);
  m.sync.teacherVersion.set(40);
  m.sync.publishedVersion.set(43);
}

/** Creates a component's metrics and observes every one of them. */
export function exercisedMetrics(component: Component): ServiceMetrics {
  switch (component) {
    case 'teacher': {
      const m = createServiceMetrics('teacher', { build: TEST_BUILD });
      exerciseCommon(m);
      m.teacher.labelRequests.inc();
      m.teacher.labelSeconds.observe(0.08);
      m.teacher.metricSteps.inc(2);
      m.teacher.metricLoss.set(1.25);
      m.pseudoLabels.record({
        labels: new Uint8Array([0, 1, 1, 2, 255, 7]),
        reliabilities: new Float32Array([0.05, 0.5, 0.97, 1, 0.3, 0.6]),
        classNames: ['road', 'building', 'car'],
      });
      m.provider.setProvider('cpu');
      return m;
    }
    case 'student': {
      const m = createServiceMetrics('student', { build: TEST_BUILD });
      exerciseCommon(m);
      m.student.recordStep({ seconds: 0.75, images: 2, loss: 0.9 });
      m.provider.setProvider('cpu');
      m.checkpoint.recordCheckpoint(0.3);
      return m;
    }
    case 'orchestrator': {
      const m = createServiceMetrics('orchestrator', { build: TEST_BUILD });
      exerciseCommon(m);
      m.orchestrator.setRunPhases(['RUNNING', 'FINISHED', 'FINISHED']);
      m.orchestrator.evalMiou.set(0.4132);
      m.checkpoint.recordCheckpoint(2.5);
      return m;
    }
  }
}

export interface Family {
  type: string;
  help: string;
  /** sample lines (name{labels} value) */
  samples: string[];
}

/** Metric families of a text exposition, by name. */
export function parseExposition(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  const get = (name: string) => {
    let f = fams.get(name);
    if (!f) fams.set(name, (f = { type: '', help: '', samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) get(m[1]!).help = m[2]!;
    else if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) get(m[1]!).type = m[2]!;
    else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line))) {
      const sample = m[1]!;
      const base = [...fams.keys()].reverse().find((n) => sample === n || ((fams.get(n)!.type === 'histogram' || fams.get(n)!.type === 'summary') && /^(_bucket|_sum|_count)$/.test(sample.slice(n.length)) && sample.startsWith(n)));
      get(base ?? sample).samples.push(line);
    }
  }
  return fams;
}
