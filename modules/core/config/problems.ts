/**
 * A configuration problem names the file, the field path, the value given, what is expected
 * and, where it helps, how to fix it. All problems of all files are reported together.
 */
export interface ConfigProblem {
  readonly file: string;
  /** Dotted path with indices, for example `regions[1].subnets.web`; empty for the whole file. */
  readonly path: string;
  /** The value as written in the file (JSON), or `(missing)`. */
  readonly value: string;
  readonly expected: string;
  readonly fix?: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigValidationError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path === "" ? p.file : `${p.file}: ${p.path}`;
  const fix = p.fix ? `\n    fix: ${p.fix}` : "";
  return `  ${where}\n    got: ${p.value}\n    expected: ${p.expected}${fix}`;
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  const files = new Set(problems.map((p) => p.file)).size;
  const header = `Invalid configuration: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}. Nothing was synthesized.`;
  return [header, ...problems.map(formatProblem)].join("\n");
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) => (typeof segment === "number" ? `[${segment}]` : `${i === 0 ? "" : "."}${String(segment)}`))
    .join("");
}

/** The value at a path, rendered for a message. */
export function describeValue(root: unknown, path: readonly PropertyKey[]): string {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return "(missing)";
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  if (current === undefined) return "(missing)";
  const text = JSON.stringify(current);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length];
}
