/**
 * Reads the manifest that `cdktf synth` writes (cdktf.out/manifest.json) and each stack's
 * synthesized backend. Parsing is separate from ordering so that ordering stays pure.
 */

export interface ManifestStack {
  readonly name: string;
  readonly workingDirectory: string;
  readonly synthesizedStackPath: string;
  readonly dependencies: readonly string[];
}

export interface Manifest {
  readonly stacks: readonly ManifestStack[];
}

export class StackOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackOrderError";
  }
}

const RESYNTH = "run `npm run synth` (or `npm run synth:app`) to regenerate cdktf.out";

export function parseManifest(file: string, text: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StackOrderError(`${file}: not valid JSON (${(error as Error).message}); ${RESYNTH}`);
  }
  const stacks = (data as { stacks?: unknown } | null)?.stacks;
  if (stacks === null || typeof stacks !== "object" || Array.isArray(stacks)) {
    throw new StackOrderError(
      `${file}: field stacks is missing or not an object of stacks; expected the manifest cdktf synth writes; ${RESYNTH}`,
    );
  }
  return {
    stacks: Object.entries(stacks as Record<string, unknown>).map(([key, raw]) => {
      const s = (raw ?? {}) as Record<string, unknown>;
      const where = `${file}: stacks.${key}`;
      for (const field of ["name", "workingDirectory", "synthesizedStackPath"] as const) {
        if (typeof s[field] !== "string") {
          throw new StackOrderError(
            `${where}.${field} is ${JSON.stringify(s[field]) ?? "missing"}, expected a string; ${RESYNTH}`,
          );
        }
      }
      const deps = s.dependencies ?? [];
      if (!Array.isArray(deps) || deps.some((d) => typeof d !== "string")) {
        throw new StackOrderError(
          `${where}.dependencies is ${JSON.stringify(deps)}, expected a list of stack names; ${RESYNTH}`,
        );
      }
      return {
        name: s.name as string,
        workingDirectory: s.workingDirectory as string,
        synthesizedStackPath: s.synthesizedStackPath as string,
        dependencies: deps as string[],
      };
    }),
  };
}

/** The backend a synthesized stack uses: "local" when it declares none (state stays on disk). */
export function backendOf(stackJson: unknown): string {
  const backend = (stackJson as { terraform?: { backend?: Record<string, unknown> } } | null)?.terraform?.backend;
  const kinds = backend ? Object.keys(backend) : [];
  return kinds[0] ?? "local";
}

/** Backends whose state the pipeline can share between jobs and lock. */
export const REMOTE_BACKENDS: ReadonlySet<string> = new Set(["azurerm", "s3"]);
