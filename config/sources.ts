/**
 * Where raw configuration comes from: a `Pulumi.<stack>.yaml` file (offline, never decrypted) or
 * the Pulumi runtime (decrypted by the engine, secret keys marked).
 */
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { decryptValue, keyFromSalt } from "./passphrase";
import { SITE_KEYS } from "./schema";
import type { RawConfig } from "./validate";

/** A stack file that cannot be read as a Pulumi stack config. */
export class StackFileError extends Error {}

/**
 * Reads `Pulumi.<stack>.yaml`. Encrypted values stay `{secure: ...}`: they count as present and
 * are never decrypted here.
 */
export function readStackFile(file: string): RawConfig {
  if (!fs.existsSync(file)) throw new StackFileError(`${file} does not exist`);
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new StackFileError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return { values: {}, secretKeys: new Set() };
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new StackFileError(`${file} must be a YAML map with a config key`);
  const config = (doc as Record<string, unknown>)["config"] ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw new StackFileError(`${file}: config must be a map of keys to values`);
  return { values: config as Record<string, unknown>, secretKeys: new Set() };
}

/** phoenix's keys whose values are maps or lists: the runtime holds them JSON-encoded. Every other key is a string. */
export const STRUCTURED_KEYS: readonly string[] = SITE_KEYS.filter((k) => k !== "environment");

/**
 * Reads the program's configuration from the Pulumi runtime: values are decrypted, and the keys
 * holding secrets are listed by the engine (`PULUMI_CONFIG_SECRET_KEYS`). Structured values arrive
 * JSON-encoded.
 */
export function readRuntimeConfig(project: string): RawConfig {
  // Loaded here, not at module top, so `npm run plan` never loads the Pulumi SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
    allConfig(): Record<string, string>;
    isConfigSecret?(k: string): boolean;
  };
  const all = runtimeConfig.allConfig();
  const isSecret = secretKeyTest(runtimeConfig.isConfigSecret, process.env);
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [k, v] of Object.entries(all)) {
    if (!k.startsWith(`${project}:`)) continue;
    let value: unknown = v;
    // Only phoenix's structured keys are JSON: a secret such as "[not-json" or '{"a":1}' stays a string.
    if (STRUCTURED_KEYS.includes(k.slice(project.length + 1))) {
      try {
        value = JSON.parse(v);
      } catch {
        value = v;
      }
    }
    values[k] = value;
    if (isSecret(k)) secretKeys.add(k);
  }
  return { values, secretKeys };
}

/**
 * Which keys hold secrets: the SDK's `isConfigSecret` (internal to `@pulumi/pulumi/runtime/config`), or,
 * when a version of the SDK lacks it, `PULUMI_CONFIG_SECRET_KEYS`, the JSON list of keys the engine sets
 * for the program.
 */
export function secretKeyTest(
  sdk: ((k: string) => boolean) | undefined,
  env: NodeJS.ProcessEnv,
): (k: string) => boolean {
  if (typeof sdk === "function") return (k) => sdk(k);
  let listed: unknown;
  try {
    listed = JSON.parse(env["PULUMI_CONFIG_SECRET_KEYS"] ?? "[]");
  } catch {
    listed = [];
  }
  const keys = new Set(Array.isArray(listed) ? listed.filter((k): k is string => typeof k === "string") : []);
  return (k) => keys.has(k);
}

/**
 * Reads `Pulumi.<stack>.yaml` and decrypts its `secure:` values with the passphrase, as Pulumi's
 * passphrase secrets provider does. Keys holding a decrypted value are marked secret (a structured
 * key is secret when any value inside it is).
 */
export function decryptStackFile(file: string, passphrase: string): RawConfig {
  const raw = readStackFile(file);
  const salt = (parseYaml(fs.readFileSync(file, "utf8")) as { encryptionsalt?: unknown } | null)?.encryptionsalt;
  const secretKeys = new Set<string>();
  let key: Buffer | undefined;
  const walk = (v: unknown, top: string): unknown => {
    if (
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      typeof (v as Record<string, unknown>)["secure"] === "string" &&
      Object.keys(v).length === 1
    ) {
      if (typeof salt !== "string")
        throw new StackFileError(
          `${file} has secure values but no encryptionsalt (not the passphrase secrets provider)`,
        );
      key ??= keyFromSalt(passphrase, salt);
      secretKeys.add(top);
      return decryptValue(key, (v as Record<string, string>)["secure"]!);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, top));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, top)]));
    return v;
  };
  const values = Object.fromEntries(Object.entries(raw.values).map(([k, v]) => [k, walk(v, k)]));
  return { values, secretKeys };
}

/** The config map the Pulumi runtime holds (`PULUMI_CONFIG`): structured values JSON-encoded. */
export function toRuntimeConfig(raw: RawConfig): { config: Record<string, string>; secretKeys: string[] } {
  const config = Object.fromEntries(
    Object.entries(raw.values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  return { config, secretKeys: [...raw.secretKeys] };
}
