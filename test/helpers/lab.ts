/** Helpers for the lab's end-to-end tests. */
import * as path from "node:path";
import { decryptStackFile, readStackFile } from "../../config/sources";
import { secretEnvVar } from "../../lab/cli";
import { PROJECT_DIR } from "./site";

/**
 * An example stack's secrets as the lab's PHOENIX_SECRET_* variables: the values the example passphrase
 * decrypts (decrypted once here, so each lab run skips the passphrase's key derivation).
 */
export function labSecretEnv(stack: string): Record<string, string> {
  const file = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
  const plain = decryptStackFile(file, "phoenix-example").values;
  const env: Record<string, string> = {};
  const walk = (enc: unknown, dec: unknown, key: string, at: string[]): void => {
    if (enc && typeof enc === "object" && typeof (enc as Record<string, unknown>)["secure"] === "string") env[secretEnvVar(key, at)] = dec as string;
    else if (enc && typeof enc === "object") for (const [k, v] of Object.entries(enc)) walk(v, (dec as Record<string, unknown>)[k], key, [...at, k]);
  };
  for (const [k, v] of Object.entries(readStackFile(file).values)) walk(v, plain[k], k, []);
  return env;
}
