/**
 * `ProxmoxSnapshot`: a snapshot of a guest, taken once it is set up (the bash system's state machine took one
 * after configuring a guest). No provider resource exists for it (../shared/proxmox/CONTRACT.md section 4), so
 * this dynamic provider speaks to the Proxmox API itself (client.ts). Token:
 * `pulumi-nodejs:dynamic/proxmox:Snapshot`.
 *
 * - create takes it and waits for Proxmox's task; a failed task fails the step with the task's error text.
 * - A change of what the guest was set up with (`setup`), of the guest, the name or the memory flag replaces
 *   it, deleting first (the name is unique per guest). The description is updated in place.
 * - read lists the guest's snapshots: one deleted out of band (or a guest that is gone) reads as gone, so the
 *   next `up` takes it again.
 * - delete removes it unless `retain` is set. A retained snapshot with the same name is replaced by the next
 *   create: retain keeps a snapshot when it leaves the program or the stack is destroyed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith, diffWith, hostable, note, readResult, stateOf } from "../portainer/dynamic";
import { runtimeProvider } from "../portainer/runtime";
import { createProxmoxClient, isGuestMissing, type GuestKind, type ProxmoxClient } from "./client";

/** How the provider reaches Proxmox; a secret input (the token or password is in it). */
export interface ProxmoxConnection {
  readonly endpoint: string;
  readonly apiToken?: string;
  readonly username?: string;
  readonly password?: string;
  readonly caCert?: string;
  /** The site's `insecure`: without `caCert`, refused (the credential goes only to a server phoenix verified). */
  readonly insecure?: boolean;
}

export interface SnapshotInputs {
  readonly connection: ProxmoxConnection;
  readonly node: string;
  readonly kind: GuestKind;
  readonly vmid: number;
  readonly name: string;
  readonly description: string;
  readonly includeMemory: boolean;
  readonly retain: boolean;
  /** What the guest was set up with (a digest of its setup steps): a change takes the snapshot again. */
  readonly setup: string;
}

export interface SnapshotOutputs extends SnapshotInputs {
  /** When Proxmox took it (seconds since the epoch). */
  readonly snaptime: number;
}

export interface SnapshotArgs {
  readonly connection: pulumi.Input<{ readonly [K in keyof ProxmoxConnection]: pulumi.Input<ProxmoxConnection[K]> }>;
  readonly node: pulumi.Input<string>;
  readonly kind: pulumi.Input<GuestKind>;
  readonly vmid: pulumi.Input<number>;
  readonly name: pulumi.Input<string>;
  readonly description?: pulumi.Input<string>;
  readonly includeMemory?: pulumi.Input<boolean>;
  readonly retain?: pulumi.Input<boolean>;
  readonly setup: pulumi.Input<string>;
}

/** Test seams: how the provider makes its client, and how it polls tasks. */
export const seams: { client: (c: ProxmoxConnection) => ProxmoxClient } = {
  client: (c) =>
    createProxmoxClient({
      endpoint: c.endpoint,
      auth: c.apiToken !== undefined ? { apiToken: c.apiToken } : { username: c.username!, password: c.password! },
      ...(c.caCert !== undefined ? { caCert: c.caCert } : {}),
    }),
};

async function withClient<T>(c: ProxmoxConnection, f: (api: ProxmoxClient) => Promise<T>): Promise<T> {
  const api = seams.client(c);
  try {
    return await f(api);
  } finally {
    await api.close();
  }
}

const label = (i: Pick<SnapshotInputs, "kind" | "vmid" | "name">) =>
  `snapshot ${i.name} of ${i.kind === "qemu" ? "VM" : "CT"} ${i.vmid}`;

function schema() {
  return z.object({
    connection: z
      .object({
        endpoint: z.url({ protocol: /^https$/, error: "must be an https URL such as https://10.0.0.13:8006" }),
        apiToken: z
          .string()
          .regex(/^[^\s@!]+@[^\s!]+![A-Za-z][A-Za-z0-9._-]*=\S+$/, "must be user@realm!tokenid=secret")
          .optional(),
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        caCert: z.string().optional(),
        insecure: z.boolean().optional(),
      })
      .refine((c) => c.apiToken !== undefined || (c.username !== undefined && c.password !== undefined), {
        message: "needs apiToken, or username and password",
      })
      .refine((c) => c.insecure !== true || c.caCert !== undefined, {
        message:
          "insecure without caCert: phoenix sends the Proxmox credential only to a server whose certificate it " +
          "verified; give caCert (the node's /etc/pve/pve-root-ca.pem)",
      }),
    node: z.string().min(1),
    kind: z.enum(["qemu", "lxc"]),
    vmid: z.number().int().min(100),
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{1,39}$/, "must be a Proxmox snapshot name"),
    description: z.string().default(""),
    includeMemory: z.boolean().default(false),
    retain: z.boolean().default(false),
    setup: z.string(),
  });
}

const provider = hostable<SnapshotInputs, SnapshotOutputs>({
  async check(_olds, news) {
    const r = checkWith(schema(), news as unknown as Record<string, unknown>);
    const i = r.inputs as SnapshotInputs | undefined;
    if (i && i.kind === "lxc" && i.includeMemory)
      return { failures: [{ property: "includeMemory", reason: "is for VMs only (a container has no memory state)" }] };
    return r as pulumi.dynamic.CheckResult<SnapshotInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["connection", "description", "retain"],
      replace: ["node", "kind", "vmid", "name", "includeMemory", "setup"],
      deleteBeforeReplace: true,
    });
  },

  async create(inputs) {
    return withClient(inputs.connection, async (api) => {
      const existing = (await api.listSnapshots(inputs.node, inputs.kind, inputs.vmid)).find(
        (s) => s.name === inputs.name,
      );
      if (existing && !inputs.retain) {
        const when = existing.snaptime ? ` (taken ${new Date(existing.snaptime * 1000).toISOString()})` : "";
        throw new Error(
          `${label(inputs)} already exists${when} and phoenix did not take it: delete it ` +
            `(${inputs.kind === "qemu" ? "qm delsnapshot" : "pct delsnapshot"} ${inputs.vmid} ${inputs.name}) ` +
            "or set snapshot.name",
        );
      }
      if (existing) {
        await note(`Replacing the retained ${label(inputs)}`);
        await api.deleteSnapshot(inputs.node, inputs.kind, inputs.vmid, inputs.name);
      }
      await api.createSnapshot(inputs.node, inputs.kind, inputs.vmid, {
        name: inputs.name,
        description: inputs.description,
        vmstate: inputs.includeMemory,
      });
      const taken = (await api.listSnapshots(inputs.node, inputs.kind, inputs.vmid)).find(
        (s) => s.name === inputs.name,
      );
      if (!taken) throw new Error(`${label(inputs)}: Proxmox reported the task OK but lists no such snapshot`);
      return {
        id: `${inputs.node}/${inputs.kind}/${inputs.vmid}/${inputs.name}`,
        outs: { ...inputs, snaptime: taken.snaptime ?? 0 },
      };
    });
  },

  async read(id, state) {
    const props = stateOf(state, `Proxmox snapshot ${id}`);
    return withClient(props.connection, async (api) => {
      let list;
      try {
        list = await api.listSnapshots(props.node, props.kind, props.vmid);
      } catch (e) {
        if (isGuestMissing(e)) return {};
        throw e;
      }
      const live = list.find((s) => s.name === props.name);
      if (!live) return {};
      const inputs: SnapshotInputs = { ...stripOutputs(props), description: live.description ?? "" };
      return readResult(id, { ...inputs, snaptime: live.snaptime ?? props.snaptime }, inputs);
    });
  },

  async update(_id, olds, news) {
    if (olds.description !== news.description)
      await withClient(news.connection, (api) =>
        api.setSnapshotDescription(news.node, news.kind, news.vmid, news.name, news.description),
      );
    return { outs: { ...news, snaptime: olds.snaptime } };
  },

  async delete(_id, props) {
    if (props.retain) {
      await note(`Keeping ${label(props)} in Proxmox (retain is set)`);
      return;
    }
    await withClient(props.connection, async (api) => {
      let list;
      try {
        list = await api.listSnapshots(props.node, props.kind, props.vmid);
      } catch (e) {
        if (!isGuestMissing(e)) throw e;
        await note(`${label(props)} went with its guest`);
        return;
      }
      if (!list.some((s) => s.name === props.name)) {
        await note(`${label(props)} was already gone`);
        return;
      }
      await api.deleteSnapshot(props.node, props.kind, props.vmid, props.name);
    });
  },
});

function stripOutputs(o: SnapshotOutputs): SnapshotInputs {
  return {
    connection: o.connection,
    node: o.node,
    kind: o.kind,
    vmid: o.vmid,
    name: o.name,
    description: o.description,
    includeMemory: o.includeMemory,
    retain: o.retain,
    setup: o.setup,
  };
}

export const snapshotProvider = provider;
const loader = runtimeProvider<SnapshotInputs, SnapshotOutputs>("Snapshot");

/** A Proxmox snapshot of a guest. */
export class ProxmoxSnapshot extends pulumi.dynamic.Resource {
  declare readonly snaptime: pulumi.Output<number>;

  constructor(name: string, args: SnapshotArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      loader,
      name,
      { ...args, connection: pulumi.secret(args.connection), snaptime: undefined },
      opts,
      "proxmox",
      "Snapshot",
    );
  }
}
