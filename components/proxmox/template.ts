/**
 * `ProxmoxTemplate`: a template VM phoenix builds itself, as the bash system built VM 9000: the cloud image
 * downloaded to an `import` storage (`download.File`, pinned with `overwrite: false`), imported as the boot disk
 * (`disks[].importFrom`, API only: CONTRACT.md section 1), a cloud-init drive, the QEMU agent option, a serial
 * console (cloud images log there), converted to a template and never started. Guests clone it.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import type { TemplateSite } from "../../config/hypervisor";

/** The download's inputs. */
export function imageInputs(t: TemplateSite, nodeName: string): proxmox.download.FileArgs {
  return {
    nodeName,
    datastoreId: t.image.storage,
    contentType: "import",
    url: t.image.url,
    fileName: t.image.file_name,
    // Pinned: a new upstream build of the same URL does not replace the template under its clones.
    overwrite: false,
    ...(t.image.checksum !== undefined
      ? { checksum: t.image.checksum, checksumAlgorithm: t.image.checksum_algorithm! }
      : {}),
  };
}

/** The template VM's inputs, given the imported file's volume id (`local:import/noble-....qcow2`). */
export function templateInputs(t: TemplateSite, nodeName: string, fileId: pulumi.Input<string>): proxmox.VmLegacyArgs {
  return {
    nodeName,
    vmId: t.vmid,
    name: t.name,
    description: t.description ?? `phoenix template from ${t.image.url}`,
    tags: ["phoenix", "template"],
    template: true,
    started: false,
    onBoot: false,
    machine: "q35",
    bios: "seabios",
    operatingSystem: { type: "l26" },
    cpu: { cores: t.cores, type: t.cpu_type },
    memory: { dedicated: t.memory_mb, floating: t.memory_mb },
    agent: { enabled: t.agent },
    scsiHardware: "virtio-scsi-single",
    disks: [
      {
        interface: "scsi0",
        datastoreId: t.datastore,
        importFrom: fileId,
        size: t.disk_size_gb,
        discard: "on",
        iothread: true,
        ssd: true,
      },
    ],
    initialization: { datastoreId: t.datastore, type: "nocloud" },
    networkDevices: [{ bridge: t.bridge, model: "virtio" }],
    serialDevices: [{ device: "socket" }],
    vga: { type: "serial0" },
    // Never started, so the provider never needs the agent; a stop on delete must not wait for it.
    stopOnDestroy: true,
  };
}

export class ProxmoxTemplate extends pulumi.ComponentResource {
  readonly image: proxmox.download.File;
  readonly vm: proxmox.VmLegacy;

  constructor(
    name: string,
    args: { readonly template: TemplateSite; readonly nodeName: string; readonly dependsOn?: pulumi.Resource[] },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("phoenix:proxmox:Template", name, {}, opts);
    const t = args.template;
    // A replaced download keeps its file name: delete first, or the new file would be deleted by the old one.
    this.image = new proxmox.download.File(`${name}-image`, imageInputs(t, args.nodeName), {
      parent: this,
      deleteBeforeReplace: true,
      ...(args.dependsOn ? { dependsOn: args.dependsOn } : {}),
    });
    this.vm = new proxmox.VmLegacy(name, templateInputs(t, args.nodeName, this.image.id), {
      parent: this,
      deleteBeforeReplace: true,
      // The disk is imported at create only (B disk/schema.go): a new image is for new templates.
      ignoreChanges: ["disks[0].importFrom"],
    });
    this.registerOutputs({ vmId: t.vmid });
  }
}
