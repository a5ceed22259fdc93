/**
 * The inputs of a guest's `ProxmoxSnapshot` (providers/proxmox/snapshot.ts), from the validated site: how to
 * reach the Proxmox API (the token or password as a secret, the pinned CA), the guest, and a digest of what it
 * was set up with, so that a guest set up again is snapshotted again. Pure but for the secrets' wrapping.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SNAPSHOT_NAME } from "../../config/schema";
import { authOf } from "../../config/proxmox";
import type { Guest, SiteConfig } from "../../config/validate";
import type { SnapshotArgs } from "../../providers/proxmox/snapshot";
import { guestSetupSteps } from "../guest/steps";

/** A digest of the guest's setup steps (secrets included, so the digest is kept secret). */
export function setupDigest(site: SiteConfig, g: Guest): string {
  const h = crypto.createHash("sha256");
  for (const s of guestSetupSteps(site, g, { revealSecrets: true })) h.update(`${s.name}\0${s.script}\0`);
  return `sha256:${h.digest("hex")}`;
}

export function snapshotArgs(site: SiteConfig, g: Guest, stack: string): SnapshotArgs {
  const p = site.proxmox;
  const s = g.config.snapshot ?? { name: DEFAULT_SNAPSHOT_NAME, include_memory: false, retain: false };
  const auth =
    authOf(p).kind === "password"
      ? { username: p.username!, password: pulumi.secret(p.password!.reveal()) }
      : { apiToken: pulumi.secret(p.api_token!.reveal()) };
  return {
    connection: {
      endpoint: p.endpoint,
      ...auth,
      ...(p.ca_cert !== undefined ? { caCert: p.ca_cert } : {}),
      insecure: p.insecure,
    },
    node: p.node_name,
    kind: g.kind === "vm" ? "qemu" : "lxc",
    vmid: g.id,
    name: s.name,
    description: g.config.snapshot?.description ?? `phoenix: ${g.name} set up (stack ${stack})`,
    includeMemory: s.include_memory,
    retain: s.retain,
    setup: pulumi.secret(setupDigest(site, g)),
  };
}
