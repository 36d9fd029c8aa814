/** Problems found in a dataset on disk; every one names the file or folder concerned. */
export type DatasetProblem =
  | { kind: 'missing-folder'; path: string; what: string }
  | { kind: 'empty-folder'; path: string; what: string }
  | { kind: 'unexpected-file'; path: string; expected: string }
  | { kind: 'duplicate-name'; name: string; paths: string[] }
  | { kind: 'count-mismatch'; images: number; labels: number }
  | { kind: 'unpaired-image'; name: string; path: string; expectedLabel: string }
  | { kind: 'unpaired-label'; name: string; path: string }
  | { kind: 'unreadable'; role: 'image' | 'label'; path: string; reason: string }
  | { kind: 'size-mismatch'; name: string; image: string; label: string; imageSize: [number, number]; labelSize: [number, number] }
  | { kind: 'out-of-table'; value: number; pixels: number; files: number; examples: string[] };

/** One line of text for a problem. */
export function describeProblem(p: DatasetProblem): string {
  switch (p.kind) {
    case 'missing-folder':
      return `missing folder (${p.what}): ${p.path}`;
    case 'empty-folder':
      return `no ${p.what} found in ${p.path}`;
    case 'unexpected-file':
      return `unexpected file (expected ${p.expected}): ${p.path}`;
    case 'duplicate-name':
      return `name ${p.name} appears more than once: ${p.paths.join(', ')}`;
    case 'count-mismatch':
      return `image/label count mismatch: ${p.images} images, ${p.labels} labels`;
    case 'unpaired-image':
      return `image without label: ${p.path} (expected ${p.expectedLabel})`;
    case 'unpaired-label':
      return `label without image: ${p.path}`;
    case 'unreadable':
      return `unreadable ${p.role}: ${p.reason.startsWith(p.path) ? p.reason : `${p.path}: ${p.reason}`}`;
    case 'size-mismatch':
      return `image/label size mismatch for ${p.name}: image ${p.imageSize[0]}x${p.imageSize[1]} (${p.image}), label ${p.labelSize[0]}x${p.labelSize[1]} (${p.label})`;
    case 'out-of-table':
      return `label value ${p.value} is outside the class table: ${p.pixels} pixels in ${p.files} file(s), e.g. ${p.examples.join(', ')}`;
  }
}

/** Thrown when a dataset cannot be opened; lists every problem found. */
export class DatasetError extends Error {
  readonly problems: readonly DatasetProblem[];
  constructor(what: string, problems: readonly DatasetProblem[], hint?: string) {
    const lines = problems.slice(0, 20).map((p) => `  - ${describeProblem(p)}`);
    if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more`);
    super(`${what}:\n${lines.join('\n')}${hint ? `\n${hint}` : ''}`);
    this.name = 'DatasetError';
    this.problems = problems;
  }
}
