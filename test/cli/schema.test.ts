// Proves: the committed stacks/phoenix.schema.json and pulumi-stack.schema.json are exactly what the zod
// schemas generate, and they accept the example manifests and stack files and reject broken ones (checked
// with ajv, as an editor would).
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse as parseYaml } from "yaml";
import { manifestJsonSchema, SCHEMA_FILE, STACK_SCHEMA_FILE, stackFileJsonSchema } from "../../cli/schema";
import { EXAMPLE_STACKS, PROJECT_DIR } from "../helpers/site";

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
    const ok = validate({
      name: "x",
      compose_file: "c.yml",
      environments: { testing: { variables: [{ name: "A" }] } },
      extra: 1,
    });
    expect(ok).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual(
      expect.arrayContaining([
        " must NOT have additional properties",
        "/environments/testing/variables/0 must match a schema in anyOf",
      ]),
    );
  });
});

describe("pulumi-stack.schema.json", () => {
  it("is up to date with the zod schema (run npm run schema after changing config/schema.ts)", () => {
    expect(fs.readFileSync(STACK_SCHEMA_FILE, "utf8")).toBe(stackFileJsonSchema());
  });

  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: false }).compile(
    JSON.parse(stackFileJsonSchema()),
  );
  const stackFile = (name: string) =>
    parseYaml(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${name}.yaml`), "utf8")) as {
      config: Record<string, Record<string, unknown>>;
    };

  it.each(["dev", "prod"])("accepts Pulumi.%s.yaml", (name) => {
    expect([validate(stackFile(name)), validate.errors ?? null]).toEqual([true, null]);
  });

  it("rejects an unknown Proxmox key, a plain-text secret of the wrong shape and an unknown os_type", () => {
    const doc = stackFile("dev");
    doc.config["phoenix:proxmox"]!["datastor"] = "local-zfs";
    doc.config["phoenix:proxmox"]!["password"] = { plain: "x" };
    (doc.config["phoenix:lxcs"] as unknown as Record<string, unknown>[])[0]!["os_type"] = "windows";
    expect(validate(doc)).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual(
      expect.arrayContaining([
        "/config/phoenix:proxmox must NOT have additional properties",
        "/config/phoenix:proxmox/password must match a schema in anyOf",
        "/config/phoenix:lxcs/0/os_type must be equal to one of the allowed values",
      ]),
    );
  });
});
