/**
 * `Hypervisor`: the Proxmox node before any guest (the bash system's `phoenix setup`), composed from the
 * resolved site (config/hypervisor.ts). The provider's resources where one exists (storages, downloads,
 * roles, pools, users, ACLs, tokens, the datacenter and node firewall, the template VMs); `@pulumi/command`
 * over the node's SSH access where none does (ZFS datasets, NFS exports: CONTRACT.md section 4). The dataset
 * and exports commands have no delete: `destroy` leaves the data, the datasets and the exports file as they are.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  asRoot,
  datacenterRules,
  datasetScript,
  exportsScript,
  type HypervisorSite,
  type TemplateSite,
} from "../../config/hypervisor";
import { sshConnection } from "../guest/guestSetup";
import { providerRule } from "../proxmox/firewall";
import { ProxmoxTemplate } from "../proxmox/template";

export interface HypervisorArgs {
  readonly node: string;
  readonly site?: HypervisorSite;
  readonly templates: readonly TemplateSite[];
  /** The node's SSH access (`phoenix:proxmox.ssh`), for what no provider resource does. */
  readonly ssh?: { readonly user: string; readonly privateKey: pulumi.Input<string> };
}

/** A resource name from an id (`quickOS/vm-persistent-data` → `quickOS-vm-persistent-data`). */
const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, "-");

export class Hypervisor extends pulumi.ComponentResource {
  /** What every guest waits for: the node's datasets, exports, storages, downloads, access and firewall. */
  readonly ready: pulumi.Resource[] = [];
  /** Template VMs by VMID, for the guests that clone them. */
  readonly templates = new Map<number, pulumi.Resource>();
  /** The values of the tokens phoenix created, `user!token` to value; secrets. */
  readonly tokens: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: HypervisorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:hypervisor:Hypervisor", name, {}, opts);
    const h = args.site;
    const child = { parent: this };
    if (h) {
      const ssh = args.ssh;
      const onNode = (id: string, script: string, dependsOn: pulumi.Resource[]) =>
        new command.remote.Command(
          `${name}-${id}`,
          { connection: sshConnection(h.address, ssh!.user, ssh!.privateKey), create: asRoot(ssh!.user, script) },
          { ...child, ...(dependsOn.length > 0 ? { dependsOn } : {}) },
        );
      const datasets = h.datasets.map((d) => onNode(`dataset-${slug(d.name)}`, datasetScript(d), []));
      this.ready.push(...datasets);
      if (h.exports.length > 0)
        this.ready.push(onNode("nfs-exports", exportsScript(h.exports, h.exportOptions, h.datasets), datasets));

      for (const s of h.storages) {
        const common = {
          resourceId: s.id,
          contents: [...s.content],
          ...(s.nodes ? { nodes: [...s.nodes] } : {}),
        };
        const r =
          s.type === "dir"
            ? // After the datasets: Proxmox makes the directory's subfolders; ZFS will not mount on a non-empty one.
              new proxmox.storage.Directory(
                `${name}-storage-${s.id}`,
                { ...common, path: s.path },
                { ...child, dependsOn: datasets },
              )
            : s.type === "nfs"
              ? new proxmox.storage.Nfs(
                  `${name}-storage-${s.id}`,
                  { ...common, server: s.server, export: s.export, ...(s.options ? { options: s.options } : {}) },
                  { ...child, dependsOn: this.ready.slice() },
                )
              : new proxmox.storage.Zfspool(
                  `${name}-storage-${s.id}`,
                  { ...common, zfsPool: s.pool, thinProvision: s.thin_provision },
                  { ...child, dependsOn: datasets },
                );
        this.ready.push(r);
      }
      const storages = this.ready.slice();
      for (const d of h.downloads)
        this.ready.push(
          new proxmox.download.File(
            `${name}-download-${slug(d.file_name)}`,
            {
              nodeName: h.node,
              datastoreId: d.storage,
              contentType: d.content_type,
              url: d.url,
              fileName: d.file_name,
              overwrite: false,
              ...(d.checksum ? { checksum: d.checksum, checksumAlgorithm: d.checksum_algorithm! } : {}),
            },
            { ...child, deleteBeforeReplace: true, dependsOn: storages },
          ),
        );

      const roles = new Map<string, proxmox.RoleLegacy>();
      for (const r of h.roles)
        roles.set(
          r.id,
          new proxmox.RoleLegacy(`${name}-role-${r.id}`, { roleId: r.id, privileges: [...r.privileges] }, child),
        );
      for (const p of h.pools)
        this.ready.push(
          new proxmox.PoolLegacy(
            `${name}-pool-${p.id}`,
            { poolId: p.id, ...(p.comment ? { comment: p.comment } : {}) },
            child,
          ),
        );
      this.ready.push(...roles.values());
      for (const u of h.users) {
        const user = new proxmox.UserLegacy(
          `${name}-user-${slug(u.id)}`,
          { userId: u.id, enabled: u.enabled, ...(u.comment ? { comment: u.comment } : {}) },
          child,
        );
        this.ready.push(user);
        u.acls.forEach((a, i) => {
          const role = roles.get(a.role);
          this.ready.push(
            new proxmox.Acl(
              `${name}-acl-${slug(u.id)}-${i}`,
              { path: a.path, roleId: role ? role.roleId : a.role, userId: user.userId, propagate: a.propagate },
              child,
            ),
          );
        });
        for (const t of u.tokens) {
          const token = new proxmox.user.Token(
            `${name}-token-${slug(u.id)}-${t.name}`,
            {
              userId: user.userId,
              tokenName: t.name,
              privilegesSeparation: t.privilege_separation,
              ...(t.comment ? { comment: t.comment } : {}),
            },
            { ...child, additionalSecretOutputs: ["value"] },
          );
          this.tokens[`${u.id}!${t.name}`] = pulumi.secret(token.value);
          this.ready.push(token);
        }
      }
      if (h.firewall) {
        // Guest rules apply only with the datacenter firewall on (FW Firewall.pm). The host keeps ACCEPT:
        // phoenix does not decide who reaches the node (its UI, SSH, the guests' NFS).
        this.ready.push(
          new proxmox.cluster.FirewallLegacy(
            `${name}-datacenter-firewall`,
            { enabled: true, inputPolicy: "ACCEPT", outputPolicy: "ACCEPT" },
            child,
          ),
          new proxmox.node.Firewall(`${name}-node-firewall`, { nodeName: h.node, enabled: true }, child),
        );
        const rules = datacenterRules(h);
        // Without nodeName or vmId, the rules are the datacenter's (B docs/resources/firewall_rules.md).
        if (rules.length > 0)
          this.ready.push(
            new proxmox.firewall.RulesLegacy(`${name}-datacenter-rules`, { rules: rules.map(providerRule) }, child),
          );
      }
    }
    const before = this.ready.slice();
    for (const t of args.templates) {
      const tpl = new ProxmoxTemplate(
        `${name}-template-${t.vmid}`,
        { template: t, nodeName: args.node, dependsOn: before },
        child,
      );
      this.templates.set(t.vmid, tpl.vm);
    }
    this.registerOutputs({});
  }
}
