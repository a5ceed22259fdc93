/**
 * A guest's setup steps from the validated config: its features' scripts with its NFS volumes (served by the
 * Proxmox host unless `server` says otherwise) and its Docker source (the guest's, else the site's). Pure:
 * GuestSetup runs exactly these, and `plan` prints them.
 */
import type { VmConfig } from "../../config/schema";
import type { Guest, SiteConfig } from "../../config/validate";
import { setupSteps, type SetupStep } from "./scripts";

export function guestSetupSteps(site: SiteConfig, g: Guest): SetupStep[] {
  const nfsServer = new URL(site.proxmox.endpoint).hostname;
  const volumes = g.kind === "vm" ? (g.config as VmConfig).volumes.map((v) => ({ server: v.server ?? nfsServer, path: v.path, mountPoint: v.mount_point })) : [];
  return setupSteps(g.kind, g.config.features, volumes, g.config.docker_source ?? site.guestSetup.docker_source);
}
