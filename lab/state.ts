/**
 * The lab's state file: shaped like a Pulumi checkpoint (urn, type, id, inputs, outputs, dependencies),
 * one per stack. Secret values (the engine's secret wrappers) are never written in plain text: they are
 * stored as `{"secure": "v1:..."}`, AES-256-GCM with a random key kept beside the state in
 * `<state>.key` (mode 0600), the lab's stand-in for a secrets provider.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { decryptValue, encryptValue } from "../config/passphrase";
import { isSecret, secret } from "./host";

export interface LabResource {
  urn: string;
  type: string;
  name: string;
  /** True for dynamic resources, run through Pulumi's dynamic-provider host; false for simulated ones. */
  dynamic: boolean;
  id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** URNs this resource depends on (parent, explicit and property dependencies). */
  dependencies: string[];
  /** Output keys the resource asked to keep secret (`additionalSecretOutputs`). */
  secretOutputs?: string[];
  /** Pulumi's `protect` option, as the last run registered it. */
  protect?: boolean;
}

export interface LabState {
  version: 1;
  stack: string;
  /** The built-in fake's port, reused so URLs in state stay the same between runs. */
  fakePort?: number;
  /** The built-in fake Proxmox API's port (snapshots), reused likewise. */
  fakeProxmoxPort?: number;
  /** Secrets the lab generated for the built-in fake (wrapped; encrypted on disk). */
  generatedSecrets: Record<string, unknown>;
  resources: LabResource[];
}

export function emptyState(stack: string): LabState {
  return { version: 1, stack, generatedSecrets: {}, resources: [] };
}

function keyFor(stateFile: string): Buffer {
  const file = `${stateFile}.key`;
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  const key = crypto.randomBytes(32);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600 });
  return key;
}

function seal(v: unknown, key: Buffer): unknown {
  if (isSecret(v)) return { secure: encryptValue(key, JSON.stringify(v.value)) };
  if (Array.isArray(v)) return v.map((x) => seal(x, key));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, seal(x, key)]));
  return v;
}

function unseal(v: unknown, key: Buffer): unknown {
  if (
    v &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    typeof (v as Record<string, unknown>)["secure"] === "string" &&
    Object.keys(v).length === 1
  ) {
    return secret(JSON.parse(decryptValue(key, (v as Record<string, string>)["secure"]!)));
  }
  if (Array.isArray(v)) return v.map((x) => unseal(x, key));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unseal(x, key)]));
  return v;
}

export function loadState(stateFile: string, stack: string): LabState {
  if (!fs.existsSync(stateFile)) return emptyState(stack);
  return unseal(JSON.parse(fs.readFileSync(stateFile, "utf8")), keyFor(stateFile)) as LabState;
}

export function saveState(stateFile: string, state: LabState): void {
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  const tmp = `${stateFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(seal(state, keyFor(stateFile)), null, 2) + "\n");
  fs.renameSync(tmp, stateFile);
}

export function removeState(stateFile: string): void {
  for (const f of [stateFile, `${stateFile}.key`]) fs.rmSync(f, { force: true });
}

/** Orders resources so that each comes before everything it depends on (for deletes). */
export function dependantsFirst(resources: readonly LabResource[]): LabResource[] {
  const left = [...resources];
  const out: LabResource[] = [];
  while (left.length > 0) {
    const i = left.findIndex((r) => !left.some((o) => o !== r && o.dependencies.includes(r.urn)));
    out.push(...left.splice(i === -1 ? 0 : i, 1));
  }
  return out;
}
