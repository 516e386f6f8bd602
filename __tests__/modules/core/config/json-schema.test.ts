import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigJsonSchema } from "../../../../modules/core/config/json-schema";
import { REPO_ROOT } from "../../../helpers/synthesized";

describe("config/schema.json", () => {
  test("matches the schema the loader validates with (run `npm run gen:schema` after changing it)", () => {
    expect(readFileSync(join(REPO_ROOT, "config", "schema.json"), "utf8")).toBe(renderConfigJsonSchema());
  });

  test("lets editors flag unknown fields and tell the clouds apart", () => {
    const schema = JSON.parse(renderConfigJsonSchema());
    const azure = schema.oneOf.find(
      (s: { properties: { cloud: { const: string } } }) => s.properties.cloud.const === "azure",
    );
    expect(azure.additionalProperties).toBe(false);
    expect(azure.properties.dr.properties.rtoMinutes).toMatchObject({ maximum: 360 });
  });
});
