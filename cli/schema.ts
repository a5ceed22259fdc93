/**
 * `npm run schema`: writes the JSON Schemas generated from the zod schemas, so editors validate what users
 * write: stacks/phoenix.schema.json (a stack manifest, `phoenix.json`) and pulumi-stack.schema.json (a
 * `Pulumi.<stack>.yaml` file's phoenix keys). A test fails when a committed file differs from what this
 * generates.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import {
  certificatesSchema,
  dnsSchema,
  environmentSchema,
  firewallSchema,
  gatewaysSchema,
  guestSetupSchema,
  guestSshSchema,
  hypervisorSchema,
  lxcSchema,
  manifestSchema,
  portainerSchema,
  proxmoxSchema,
  templatesSchema,
  vmSchema,
} from "../config/schema";

/** The manifest JSON Schema, as committed. */
export function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(manifestSchema(), { io: "input", target: "draft-2020-12" });
  return JSON.stringify(schema, null, 2) + "\n";
}

export const SCHEMA_FILE = path.resolve(__dirname, "..", "stacks", "phoenix.schema.json");

/**
 * The stack file JSON Schema: `encryptionsalt` and `config`, whose `phoenix:*` site keys follow the config
 * model (secrets as `{secure: ...}`, which `pulumi config set --secret` writes) and whose other keys are the
 * stack secrets manifests name. Cross-checks (ids, addresses, root-only keys) are `npm run plan`'s.
 */
export function stackFileJsonSchema(): string {
  const ctx = { secretKeys: new Set<string>() };
  const config = z
    .strictObject({
      "phoenix:proxmox": proxmoxSchema(ctx),
      "phoenix:vms": z.array(vmSchema()).optional(),
      "phoenix:lxcs": z.array(lxcSchema()).optional(),
      "phoenix:portainer": portainerSchema(ctx).optional(),
      "phoenix:guest_ssh": guestSshSchema(ctx).optional(),
      "phoenix:guest_setup": guestSetupSchema().optional(),
      "phoenix:environment": environmentSchema().optional(),
      "phoenix:gateways": gatewaysSchema().optional(),
      "phoenix:certificates": certificatesSchema(ctx).optional(),
      "phoenix:dns": dnsSchema().optional(),
      "phoenix:firewall": firewallSchema().optional(),
      "phoenix:hypervisor": hypervisorSchema().optional(),
      "phoenix:templates": templatesSchema().optional(),
    })
    .catchall(z.union([z.strictObject({ secure: z.string() }), z.string(), z.number(), z.boolean()]));
  const file = z
    .looseObject({ encryptionsalt: z.string().optional(), secretsprovider: z.string().optional(), config })
    .meta({
      title: "phoenix stack file",
      description: "Pulumi.<stack>.yaml of the phoenix project: see the README's configuration reference.",
    });
  return JSON.stringify(z.toJSONSchema(file, { io: "input", target: "draft-2020-12" }), null, 2) + "\n";
}

export const STACK_SCHEMA_FILE = path.resolve(__dirname, "..", "pulumi-stack.schema.json");

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, manifestJsonSchema());
  fs.writeFileSync(STACK_SCHEMA_FILE, stackFileJsonSchema());
  for (const f of [SCHEMA_FILE, STACK_SCHEMA_FILE]) process.stdout.write(`wrote ${path.relative(process.cwd(), f)}\n`);
}
