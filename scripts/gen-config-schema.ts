/**
 * Writes config/schema.json from the zod schemas in modules/core/config, so editors validate
 * and complete environment files (`# yaml-language-server: $schema=./schema.json`).
 * `npm run gen:schema`; a test fails when the committed file is stale.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigJsonSchema } from "../modules/core/config/json-schema";

const target = join(__dirname, "..", "config", "schema.json");
writeFileSync(target, renderConfigJsonSchema());
process.stdout.write(`wrote ${target}\n`);
