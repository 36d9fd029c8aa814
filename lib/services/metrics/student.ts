/**
 * The student's training progress:
 *   sfda_student_step_seconds    histogram: wall time of one training step (pseudo-labels in hand → weights updated)
 *   sfda_student_steps_total     counter: training steps completed
 *   sfda_student_images_total    counter: target images trained on (images/s = rate(sfda_student_images_total[1m]))
 *   sfda_student_loss            gauge: the student's loss at the latest step (reliability-weighted cross-entropy)
 * Throughput is a rate() of the counters rather than a gauge, so it survives missed scrapes.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { STEP_BUCKETS_SECONDS } from './buckets.js';

export interface StudentMetrics {
  stepSeconds: Histogram;
  steps: Counter;
  images: Counter;
  loss: Gauge;
  /** Records one completed step: its duration, batch size and loss. */
  recordStep(step: { seconds: number; images: number; loss: number }): void;
}

export function createStudentMetrics(registry: Registry): StudentMetrics {
  const registers = [registry];
  const stepSeconds = new Histogram({
    name: 'sfda_student_step_seconds',
    help: 'Wall time of one student training step (MOCM mixing, forward, backward and update).',
    buckets: [...STEP_BUCKETS_SECONDS],
    registers,
  });
  const steps = new Counter({ name: 'sfda_student_steps_total', help: 'Student training steps completed.', registers });
  const images = new Counter({
    name: 'sfda_student_images_total',
    help: 'Target-domain images the student trained on; rate() gives images per second.',
    registers,
  });
  const loss = new Gauge({ name: 'sfda_student_loss', help: "The student's training loss at its latest step.", registers });
  return {
    stepSeconds,
    steps,
    images,
    loss,
    recordStep(s) {
      stepSeconds.observe(s.seconds);
      steps.inc();
      images.inc(s.images);
      loss.set(s.loss);
    },
  };
}
