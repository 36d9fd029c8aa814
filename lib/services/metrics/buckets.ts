/**
 * Histogram bucket bounds shared by the service metrics, all in base units (seconds, or a
 * ratio in [0, 1]). Chosen for this workload: a CPU step of a small DeepLab takes 0.1–10 s, a
 * 172 MB weights transfer over NATS 1–10 s on a contended machine, a gRPC call 1 ms–1 s.
 */

/** gRPC calls and teacher Label requests: 1 ms to 1 min. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A student training step (teacher round-trip, forward, backward, update): 10 ms to 5 min. */
export const STEP_BUCKETS_SECONDS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Weights transfers and checkpoints (tens to hundreds of MB): 10 ms to 10 min. */
export const TRANSFER_BUCKETS_SECONDS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Reliabilities (and other values in [0, 1]): tenths, finer near 1 where confident pixels pile up. */
export const RATIO_BUCKETS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];
