/**
 * Prints the size of each Portainer provider as Pulumi serializes it into `__provider` (the loader of
 * ADR 011), one JSON object `{ "<type>": bytes }`. Run it with ts-node (as `pulumi up` compiles the
 * program) so the text is what production stores: `node -r ts-node/register/transpile-only bench/providerSizes.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROVIDERS } from "../providers/portainer/registry";
import { runtimeProvider, type ProviderType } from "../providers/portainer/runtime";

/** A type as its token names it: `portainer:Stack`, `proxmox:Snapshot`. */
export function tokenOf(type: string): string {
  return `${type === "Snapshot" ? "proxmox" : "portainer"}:${type}`;
}

export const TYPES = Object.keys(PROVIDERS).map(tokenOf);

/** Serializes each type's loader as `pulumi.dynamic.Resource` does; returns the text of each. */
export async function serializedProviders(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const type of Object.keys(PROVIDERS) as ProviderType[]) {
    const loader = runtimeProvider(type);
    out[tokenOf(type)] = (await pulumi.runtime.serializeFunction(() => loader, { allowSecrets: false })).text;
  }
  return out;
}

if (require.main === module) {
  serializedProviders().then(
    (texts) =>
      process.stdout.write(
        JSON.stringify(Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v.length]))) + "\n",
      ),
    (e: Error) => {
      process.stderr.write(`providerSizes: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
