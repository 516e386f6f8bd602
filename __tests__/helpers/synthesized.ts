import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../modules/core/config/load";
import type { EnvironmentConfig } from "../../modules/core/config/schema";

/** Reading synthesized output: no cdktf or provider bindings are loaded here (speed). */

export const REPO_ROOT = join(__dirname, "..", "..");

/** A shipped environment, validated, as a mutable deep copy for variants. */
export function shippedEnvironment<T extends EnvironmentConfig = EnvironmentConfig>(name: string): T {
  const file = `config/${name}.yaml`;
  const result = parseEnvironment(file, readFileSync(join(REPO_ROOT, file), "utf8"));
  if (!result.config) throw new Error(`${file} is invalid:\n${JSON.stringify(result.problems, null, 2)}`);
  return structuredClone(result.config) as T;
}

export interface SynthesizedResource {
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly values: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class SynthesizedStack {
  constructor(
    readonly name: string,
    readonly json: Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    readonly dependencies: readonly string[],
  ) {}

  resources(type?: string): SynthesizedResource[] {
    const all = Object.entries(
      (this.json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>,
    ).flatMap(([resourceType, byName]) =>
      Object.entries(byName).map(([name, values]) => ({
        type: resourceType,
        name,
        address: `${resourceType}.${name}`,
        values,
      })),
    );
    return type ? all.filter((r) => r.type === type) : all;
  }

  /** The one resource of a type whose construct path ends with `pathSuffix`. */
  resource(type: string, pathSuffix: string): SynthesizedResource {
    const matches = this.resources(type).filter((r) =>
      String(r.values["//"]?.metadata?.path ?? "").endsWith(pathSuffix),
    );
    if (matches.length !== 1) {
      throw new Error(
        `${this.name}: expected one ${type} at */${pathSuffix}, found ${matches.length}: ${this.resources(type)
          .map((r) => r.values["//"]?.metadata?.path)
          .join(", ")}`,
      );
    }
    return matches[0];
  }
}

export interface SynthesizedApp {
  readonly outdir: string;
  readonly stacks: Record<string, SynthesizedStack>;
  stack(name: string): SynthesizedStack;
  cleanup(): void;
}

/**
 * The output __tests__/global-setup.ts synthesized for this run: "shipped" (every config/
 * environment, exactly as `cdktf synth` writes it) or a name from helpers/variants.ts.
 */
export function synthesized(name: string): SynthesizedApp {
  const root = process.env.SHARED_SYNTH_DIR;
  if (!root)
    throw new Error("SHARED_SYNTH_DIR is not set: run the specs through jest (jest.config.js runs global-setup.ts)");
  return readSynthesis(join(root, name), () => undefined);
}

export function readSynthesis(outdir: string, cleanup: () => void): SynthesizedApp {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
  const stacks: Record<string, SynthesizedStack> = {};
  for (const [name, entry] of Object.entries(
    manifest.stacks as Record<string, { synthesizedStackPath: string; dependencies: string[] }>,
  )) {
    stacks[name] = new SynthesizedStack(
      name,
      JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), "utf8")),
      entry.dependencies,
    );
  }
  return {
    outdir,
    stacks,
    stack(name: string) {
      const found = stacks[name];
      if (!found) throw new Error(`no stack ${name}; synthesized: ${Object.keys(stacks).join(", ")}`);
      return found;
    },
    cleanup,
  };
}
