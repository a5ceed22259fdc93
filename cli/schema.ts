/**
 * `npm run schema`: writes stacks/phoenix.schema.json, the JSON Schema of a stack manifest,
 * generated from the zod schema so editors validate `phoenix.json` files. A test fails when the
 * committed file differs from what this generates.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { manifestSchema } from "../config/schema";

/** The manifest JSON Schema, as committed. */
export function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(manifestSchema(), { io: "input", target: "draft-2020-12" });
  return JSON.stringify(schema, null, 2) + "\n";
}

export const SCHEMA_FILE = path.resolve(__dirname, "..", "stacks", "phoenix.schema.json");

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, manifestJsonSchema());
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}
