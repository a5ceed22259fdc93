/**
 * A guest's setup steps from the validated config: its features' scripts with its NFS volumes (served by the
 * Proxmox host unless `server` says otherwise) and its Docker source (the guest's, else the site's), its
 * application scripts, and the health checks. Pure: GuestSetup runs exactly these, and `plan` prints them
 * (secret values masked).
 */
import type { VmConfig } from "../../config/schema";
import { SECRET_MASK } from "../../config/secret";
import type { Guest, SiteConfig } from "../../config/validate";
import { setupSteps, type SetupStep } from "./scripts";

export function guestSetupSteps(site: SiteConfig, g: Guest, opts: { revealSecrets: boolean }): SetupStep[] {
  const nfsServer = new URL(site.proxmox.endpoint).hostname;
  const volumes =
    g.kind === "vm"
      ? (g.config as VmConfig).volumes.map((v) => ({
          server: v.server ?? nfsServer,
          path: v.path,
          mountPoint: v.mount_point,
        }))
      : [];
  return setupSteps({
    name: g.name,
    kind: g.kind,
    features: g.config.features,
    volumes,
    dockerSource: g.config.docker_source ?? site.guestSetup.docker_source,
    scripts: g.setupScripts.map((s) => ({
      name: s.name,
      content: s.content,
      env: s.env.map((e) =>
        "value" in e
          ? { name: e.name, value: e.value, secret: false }
          : { name: e.name, value: opts.revealSecrets ? e.secret.reveal() : SECRET_MASK, secret: true },
      ),
    })),
  });
}
