/**
 * The teacher's work:
 *   sfda_teacher_label_requests_total   counter: Label requests answered (one per student batch)
 *   sfda_teacher_label_seconds          histogram: time to label one batch (EMA + metric network)
 *   sfda_teacher_metric_steps_total     counter: online Proxy-Anchor steps of the metric network
 *   sfda_teacher_metric_loss            gauge: the metric network's loss at its latest step
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';

export interface TeacherMetrics {
  labelRequests: Counter;
  labelSeconds: Histogram;
  metricSteps: Counter;
  metricLoss: Gauge;
}

export function createTeacherMetrics(registry: Registry): TeacherMetrics {
  const registers = [registry];
  return {
    labelRequests: new Counter({
      name: 'sfda_teacher_label_requests_total',
      help: 'Label requests the teacher answered with pseudo-labels and reliabilities (one per student batch).',
      registers,
    }),
    labelSeconds: new Histogram({
      name: 'sfda_teacher_label_seconds',
      help: 'Time the teacher took to label one batch (EMA network and metric network).',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    metricSteps: new Counter({
      name: 'sfda_teacher_metric_steps_total',
      help: 'Online training steps of the metric network (Proxy-Anchor loss) taken by the teacher.',
      registers,
    }),
    metricLoss: new Gauge({
      name: 'sfda_teacher_metric_loss',
      help: "The metric network's Proxy-Anchor loss at its latest step.",
      registers,
    }),
  };
}
