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

  describe("for a schema with fields the shipped one does not have yet", () => {
    /** renderConfigJsonSchema over a stand-in environment schema (zod from the same module registry). */
    function renderFor(shape: (zod: typeof import("zod").z) => import("zod").z.ZodType): Record<string, unknown> {
      let rendered = "";
      jest.isolateModules(() => {
        const { z } = jest.requireActual<typeof import("zod")>("zod");
        jest.doMock("../../../../modules/core/config/schema", () => ({ environmentSchema: shape(z) }));
        const { renderConfigJsonSchema: render } = jest.requireActual<
          typeof import("../../../../modules/core/config/json-schema")
        >("../../../../modules/core/config/json-schema");
        rendered = render();
        jest.dontMock("../../../../modules/core/config/schema");
      });
      return JSON.parse(rendered) as Record<string, unknown>;
    }

    test("a field with a default may be left out of a file: the schema describes what is written, not what the loader returns", () => {
      const schema = renderFor((z) => z.strictObject({ prefix: z.string(), deployOrder: z.int().default(1) }));
      expect(schema.required).toEqual(["prefix"]);
      expect(schema.properties).toMatchObject({ deployOrder: { default: 1 } });
    });

    test("a field JSON Schema cannot express does not stop the schema from being written: editors accept any value there", () => {
      const schema = renderFor((z) => z.strictObject({ prefix: z.string(), since: z.date() }));
      expect(schema.properties).toEqual({ prefix: { type: "string" }, since: {} });
    });
  });
});
