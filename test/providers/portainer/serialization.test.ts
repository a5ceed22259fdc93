// Proves: every Portainer provider can be closure-serialized (a regression fails here at once instead of
// hanging a mocked program), the serialized text holds no credential and requires packages by name, and
// measures each provider's size as `pulumi up` (ts-node) would store it, printing the figures.
// The positive control shows the check fails for a closure that captures a live zod schema.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { PROVIDERS, serializedProviders } from "../../../bench/providerSizes";
import { PROJECT_DIR } from "../../helpers/site";

/** The target was 16 KB per resource type; the measured sizes exceed it (ADR 005; issue 12 asks for 8 KB). This ceiling guards against growth. */
const CEILING_BYTES = 48_000;

describe("closure serialization of the Portainer providers", () => {
  let texts: Record<string, string>;
  beforeAll(async () => (texts = await serializedProviders()));

  it.each(Object.keys(PROVIDERS))("%s serializes, requires packages by name and embeds no instance", (type) => {
    const text = texts[type]!;
    expect(text).toMatch(/^exports\.handler = /);
    expect(text).toMatch(/require\("undici(\/index\.js)?"\)/);
    expect(text).toMatch(/require\("zod(\/[\w./]+)?"\)/);
    expect(text).not.toMatch(/ptr_[A-Za-z0-9+/=]{20,}/);
  });

  it("measures each provider as ts-node compiles it for pulumi up", () => {
    const out = execFileSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "bench/providerSizes.ts")],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    const sizes = JSON.parse(out) as Record<string, number>;
    process.stdout.write(`serialized provider bytes: ${JSON.stringify(sizes)}\n`);
    expect(Object.keys(sizes)).toEqual(Object.keys(PROVIDERS));
    for (const [type, bytes] of Object.entries(sizes)) expect([type, bytes < CEILING_BYTES]).toEqual([type, true]);
  });

  it("fails for a closure that captures a live zod schema (positive control)", async () => {
    const schema = z.object({ a: z.string() });
    await expect(pulumi.runtime.serializeFunction(() => schema.parse({ a: "x" }))).rejects.toThrow();
  });
});
