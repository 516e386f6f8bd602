import { join } from "node:path";
import { backendOf, parseManifest, StackOrderError } from "./manifest";
import type { StackInfo } from "./order";

/** Reads cdktf.out/manifest.json and every stack's backend through an injected file reader. */
export function loadStacks(synthDir: string, readFile: (path: string) => string): StackInfo[] {
  const manifestFile = join(synthDir, "manifest.json");
  let text: string;
  try {
    text = readFile(manifestFile);
  } catch (error) {
    throw new StackOrderError(
      `${manifestFile}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); run \`npm run synth\` first`,
    );
  }
  return parseManifest(manifestFile, text).stacks.map((stack) => {
    const file = join(synthDir, stack.synthesizedStackPath);
    let json: unknown;
    try {
      json = JSON.parse(readFile(file));
    } catch (error) {
      throw new StackOrderError(
        `${file} (stack ${stack.name}): cannot read the synthesized stack (${(error as Error).message}); re-synthesize`,
      );
    }
    return { ...stack, backend: backendOf(json) };
  });
}
