// Proves: what every Portainer resource stores as `__provider` is the loader of ADR 011: it serializes,
// is at most 8 KB (measured as ts-node compiles it for pulumi up), carries no provider code and no
// credential; deserialized in a plain Node process as the host does, it loads the project's providers
// from the working directory, else from where the project was, and otherwise fails with a message
// that says where it looked. The positive control shows the serialization check fails for a closure
// that captures a live zod schema.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { TYPES, serializedProviders } from "../../../bench/providerSizes";
import { LOADER_MARK, runtimeProvider } from "../../../providers/portainer/runtime";
import { PROJECT_DIR } from "../../helpers/site";

const LIMIT_BYTES = 8 * 1024;

/** Runs a serialized provider's `check` in a plain Node process (no ts-node), as the host would. */
function checkInHost(text: string, cwd: string): { out?: unknown; error?: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-loader-"));
  const file = path.join(dir, "provider.js");
  fs.writeFileSync(file, text);
  const rfsPath = require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] });
  const script = `
    const rfs = require(${JSON.stringify(rfsPath)});
    const p = rfs(require("fs").readFileSync(${JSON.stringify(file)}, "utf8")).handler();
    p.check({}, { name: "ops" }).then(
      (out) => console.log(JSON.stringify({ out })),
      (e) => console.log(JSON.stringify({ error: e.message, stack: e.stack, text: String(e) })),
    );`;
  try {
    const printed = execFileSync(process.execPath, ["-e", script], { cwd, encoding: "utf8" });
    return JSON.parse(printed.trim().split("\n").pop()!) as { out?: unknown; error?: string };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the loader every Portainer resource stores as __provider", () => {
  let texts: Record<string, string>;
  beforeAll(async () => (texts = await serializedProviders()));

  it.each(TYPES)("%s serializes to a loader that names its type and carries no provider code", (type) => {
    const text = texts[type]!;
    expect(text).toMatch(/^exports\.handler = /);
    expect(text).toContain(LOADER_MARK);
    expect(text).toContain(`type: "${type.split(":")[1]}"`);
    expect(text).toContain(`projectDir: ${JSON.stringify(PROJECT_DIR)}`);
    expect(text).not.toMatch(/undici|zod|X-API-Key/);
  });

  it("is at most 8 KB for every type, as ts-node compiles it for pulumi up", () => {
    const out = execFileSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "bench/providerSizes.ts")],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    const sizes = JSON.parse(out) as Record<string, number>;
    process.stdout.write(`serialized provider bytes: ${JSON.stringify(sizes)}\n`);
    expect(Object.keys(sizes)).toEqual(TYPES);
    for (const [type, bytes] of Object.entries(sizes)) expect([type, bytes <= LIMIT_BYTES]).toEqual([type, true]);
  });

  it("loads the project's provider in a plain Node process run in the project directory", () => {
    expect(checkInHost(texts["portainer:Tag"]!, PROJECT_DIR)).toEqual({
      out: {
        failures: [{ property: "connection", reason: "Invalid input: expected object, received undefined" }],
      },
    });
  });

  it("falls back to where the project was when the host runs elsewhere", () => {
    expect(checkInHost(texts["portainer:Tag"]!, os.tmpdir())).toEqual(
      checkInHost(texts["portainer:Tag"]!, PROJECT_DIR),
    );
  });

  it("says where it looked, without a stack trace, when the project is in neither place", () => {
    const moved = texts["portainer:Tag"]!.replace(JSON.stringify(PROJECT_DIR), JSON.stringify("/gone/phoenix"));
    const r = checkInHost(moved, os.tmpdir()) as { error?: string; stack?: string; text?: string };
    const message =
      `Unable to load phoenix's provider code: providers/portainer/registry.ts ` +
      `is not in ${fs.realpathSync(os.tmpdir())} ` +
      `or /gone/phoenix; run pulumi in the phoenix project directory, after npm ci (${LOADER_MARK})`;
    expect(r).toEqual({ error: message, stack: message, text: "phoenix" });
  });

  it("names a type the project no longer has", async () => {
    const loader = runtimeProvider("Gone" as never);
    await expect(loader.check!({}, {})).rejects.toThrow(
      `phoenix's provider code in ${PROJECT_DIR} has no provider for Gone`,
    );
  });

  it("fails for a closure that captures a live zod schema (positive control)", async () => {
    const schema = z.object({ a: z.string() });
    await expect(pulumi.runtime.serializeFunction(() => schema.parse({ a: "x" }))).rejects.toThrow();
  });
});
