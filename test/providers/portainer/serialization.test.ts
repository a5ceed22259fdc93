// Proves: the client module can be captured by Pulumi's closure serializer (no top-level zod schema,
// undici agent or client instance), so dynamic providers that use it can serialize. The positive control
// shows the same check fails for a function that captures a live zod schema (ENGINELESS.md Q1).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { createPortainerClient } from "../../../providers/portainer/client";
import { isNotFound } from "../../../providers/portainer/errors";

describe("closure serialization of the Portainer client", () => {
  it("serializes a function that creates and uses the client", async () => {
    const fn = async (url: string) => {
      const c = createPortainerClient({ url });
      try {
        return await c.status();
      } catch (e) {
        return isNotFound(e) ? undefined : Promise.reject(e);
      } finally {
        await c.close();
      }
    };
    const s = await pulumi.runtime.serializeFunction(fn, { allowSecrets: true });
    expect(s.text).toContain("createPortainerClient");
    // Packages are required at run time, not copied in.
    expect(s.text).toMatch(/require\("undici(\/index\.js)?"\)/);
    expect(s.text).not.toContain("class Agent");
  });

  it("fails for a function that captures a live zod schema (positive control)", async () => {
    const schema = z.object({ a: z.string() });
    await expect(pulumi.runtime.serializeFunction(() => schema.parse({ a: "x" }))).rejects.toThrow();
  });
});
