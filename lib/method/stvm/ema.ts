/**
 * Mean-teacher EMA arithmetic (stvm-method.md row 10).
 *   α_t = min(1 − 1/(t+1), α_max)                 (t = student steps taken, from 0)
 *   θ_t ← α θ_t + (1 − α) θ_s                      (every parameter tensor, element-wise)
 * With a sync every k steps the k missed single-step decays compound: α_eff = Π α_{t−k+1..t}
 * (= α^k once the ramp has saturated at α_max), applied against the latest student weights.
 */

/** α_t for student step t (0-based). */
export function emaDecay(t: number, maxDecay: number): number {
  return Math.min(1 - 1 / (t + 1), maxDecay);
}

/** Effective decay for one update that stands for steps t−k+1..t. */
export function emaDecaySpan(t: number, k: number, maxDecay: number): number {
  let a = 1;
  for (let s = t - k + 1; s <= t; s++) a *= emaDecay(Math.max(0, s), maxDecay);
  return a;
}

/**
 * In place: teacher ← α·teacher + (1−α)·student. Shapes must match. The equation in TypeScript:
 * runs apply it as a program on the teacher's runner (programs.ts emaProgram), and the tests
 * check that program against this function.
 */
export function emaUpdate(teacher: Float32Array, student: Float32Array, alpha: number): void {
  if (teacher.length !== student.length) throw new Error(`emaUpdate: ${teacher.length} teacher values vs ${student.length} student values`);
  const b = 1 - alpha;
  for (let i = 0; i < teacher.length; i++) teacher[i] = alpha * teacher[i]! + b * student[i]!;
}
