import { z } from "zod";
import { environmentSchema } from "./schema";

/** The environment schema as JSON Schema (draft 2020-12) text, for editors. */
export function renderConfigJsonSchema(): string {
  const schema = z.toJSONSchema(environmentSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify({ ...schema, title: "Environment configuration (config/<environment>.yaml)" }, null, 2)}\n`;
}
