/** Text rendering of a dataset check report. */
import { describeProblem } from '../datasets/problems.js';
import type { CheckReport } from './check-dataset.js';

function pct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(2)} %` : '-';
}

export function formatCheckReport(r: CheckReport): string {
  const out: string[] = [];
  out.push(`Dataset check: ${r.id} (root ${r.root}, protocol ${r.protocol}, images decoded: ${r.imageMode})`);
  const sizes = r.imageSizes.map((s) => `${s.width}x${s.height} (${s.count})`).join(', ') || '-';
  out.push(
    r.labelled
      ? `  images: ${r.images}, labels: ${r.labels}, pairs: ${r.pairs}; image sizes: ${sizes}`
      : `  images: ${r.images} (split without public labels: images only); image sizes: ${sizes}`,
  );
  const h = r.histogram;
  if (h) {
    out.push('');
    out.push(`Class pixel histogram (${h.totalPixels} label pixels):`);
    const w = Math.max(12, ...h.classes.map((c) => c.length));
    out.push(`  ${'id'.padStart(3)}  ${'class'.padEnd(w)}  ${'pixels'.padStart(12)}  ${'share'.padStart(8)}`);
    h.classes.forEach((c, i) => {
      out.push(`  ${String(i).padStart(3)}  ${c.padEnd(w)}  ${String(h.pixels[i]).padStart(12)}  ${pct(h.pixels[i]!, h.totalPixels).padStart(8)}`);
    });
    out.push(`  ${'255'.padStart(3)}  ${'(ignore)'.padEnd(w)}  ${String(h.ignorePixels).padStart(12)}  ${pct(h.ignorePixels, h.totalPixels).padStart(8)}`);
    if (h.outOfTablePixels > 0) {
      out.push(`  ${''.padStart(3)}  ${'(out of table)'.padEnd(w)}  ${String(h.outOfTablePixels).padStart(12)}  ${pct(h.outOfTablePixels, h.totalPixels).padStart(8)}`);
    }
  }
  out.push('');
  if (r.problems.length === 0) {
    out.push(`OK: no problems (${(r.elapsedMs / 1000).toFixed(1)} s)`);
  } else {
    out.push(`Problems (${r.problems.length}):`);
    for (const p of r.problems) out.push(`  - ${describeProblem(p)}`);
    out.push('');
    const kinds = new Map<string, number>();
    for (const p of r.problems) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
    const summary = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
    out.push(`FAILED: ${r.problems.length} problem(s): ${summary} (${(r.elapsedMs / 1000).toFixed(1)} s)`);
  }
  return out.join('\n');
}

/** The report as plain JSON (problem descriptions added for readers without the code). */
export function checkReportToJson(r: CheckReport): unknown {
  return { ...r, problems: r.problems.map((p) => ({ ...p, message: describeProblem(p) })) };
}
