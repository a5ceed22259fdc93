/**
 * Prints the size of each Portainer provider as Pulumi serializes it into `__provider`, one JSON object
 * `{ "<type>": bytes }`. Run it with ts-node (as `pulumi up` compiles the program) so the text is what
 * production stores: `node -r ts-node/register/transpile-only bench/providerSizes.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { adminProvider } from "../providers/portainer/admin";
import { apiKeyProvider } from "../providers/portainer/apiKey";
import { dockerConfigProvider, dockerSecretProvider } from "../providers/portainer/dockerObject";
import { endpointGroupProvider } from "../providers/portainer/endpointGroup";
import { environmentProvider } from "../providers/portainer/environment";
import { stackProvider } from "../providers/portainer/stack";
import { tagProvider } from "../providers/portainer/tag";

export const PROVIDERS: Record<string, object> = {
  "portainer:Admin": adminProvider,
  "portainer:ApiKey": apiKeyProvider,
  "portainer:Tag": tagProvider,
  "portainer:EndpointGroup": endpointGroupProvider,
  "portainer:Environment": environmentProvider,
  "portainer:Stack": stackProvider,
  "portainer:DockerConfig": dockerConfigProvider,
  "portainer:DockerSecret": dockerSecretProvider,
};

/** Serializes each provider as `pulumi.dynamic.Resource` does; returns the text of each. */
export async function serializedProviders(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [type, p] of Object.entries(PROVIDERS)) {
    out[type] = (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: false })).text;
  }
  return out;
}

if (require.main === module) {
  serializedProviders().then(
    (texts) => process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v.length]))) + "\n"),
    (e: Error) => {
      process.stderr.write(`providerSizes: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
