// Proves: the committed stacks/phoenix.schema.json is exactly what the zod manifest schema generates,
// and it accepts the example manifests and rejects a broken one (checked with ajv, as an editor would).
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { manifestJsonSchema, SCHEMA_FILE } from "../../cli/schema";
import { EXAMPLE_STACKS } from "../helpers/site";

describe("stacks/phoenix.schema.json", () => {
  it("is up to date with the zod schema (run npm run schema after changing config/schema.ts)", () => {
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(manifestJsonSchema());
  });

  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(JSON.parse(manifestJsonSchema()));

  it.each(["qdrant_service", "thinkheads_ai_app"])("accepts stacks/%s/phoenix.json", (name) => {
    const doc = JSON.parse(fs.readFileSync(path.join(EXAMPLE_STACKS, name, "phoenix.json"), "utf8"));
    expect(validate(doc)).toBe(true);
  });

  it("rejects an unknown key and a variable without value or secret", () => {
    const ok = validate({ name: "x", compose_file: "c.yml", environments: { testing: { variables: [{ name: "A" }] } }, extra: 1 });
    expect(ok).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual(
      expect.arrayContaining([" must NOT have additional properties", "/environments/testing/variables/0 must match a schema in anyOf"]),
    );
  });
});
