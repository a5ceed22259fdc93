/**
 * phoenix's own Proxmox VE API client: the only code in phoenix that speaks HTTP to Proxmox (everything else
 * goes through the bpg provider). It serves what the provider has no resource for: guest snapshots
 * (../shared/proxmox/CONTRACT.md section 4). Sources, cited as in the fake (test/fakes/proxmox/server.ts):
 * - PVE API viewer (pve-docs `api-viewer/apidoc.js`): `/nodes/{node}/{qemu,lxc}/{vmid}/snapshot` (GET list,
 *   POST create → UPID), `/snapshot/{snapname}` (DELETE → UPID), `/snapshot/{snapname}/config` (PUT),
 *   `/nodes/{node}/tasks/{upid}/status` and `/log`, `/access/ticket`.
 * - pve-http-server `PVE/APIServer/AnyEvent.pm`: the error text travels in the HTTP status line, the body is
 *   `{"data":null}` (with `errors` per parameter on a 400); API tokens are sent as
 *   `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`; a ticket as the `PVEAuthCookie` cookie, with the
 *   `CSRFPreventionToken` header on writes.
 * - bpg `proxmox/nodes/tasks/tasks.go` `WaitForTask`: poll the status until it is not `running`; `exitstatus`
 *   `OK` is success, anything else is the error text (`WARNINGS: n` too, unless warnings are ignored).
 *
 * TLS is verified (system CAs, or the pinned CA of `phoenix:proxmox.ca_cert`) before any credential is sent:
 * the handshake is the server's proof that it is the node we meant.
 */
import { Agent, fetch } from "undici";

/** How the client signs in: an API token (`user@realm!id=secret`), or a user and password (a ticket). */
export type ProxmoxAuth = { readonly apiToken: string } | { readonly username: string; readonly password: string };

export interface ProxmoxClientOptions {
  /** The API endpoint, e.g. `https://10.0.0.13:8006`. */
  readonly endpoint: string;
  readonly auth: ProxmoxAuth;
  /** A PEM CA certificate to trust instead of the system's. There is no way to skip verification. */
  readonly caCert?: string;
  /** Per-request timeout; default 30 s. */
  readonly timeoutMs?: number;
  /** How often a task's status is polled at most: from 100 ms, doubling up to this; default 1 s (bpg's). */
  readonly pollMs?: number;
  /** How long a task may run; default 10 minutes. */
  readonly taskTimeoutMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An HTTP error from Proxmox: the status, Proxmox's text (the status line) and the per-parameter errors. */
export class ProxmoxApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly errors: Readonly<Record<string, string>> = {},
    what = "",
  ) {
    const params = Object.entries(errors).map(([k, v]) => `${k}: ${v.trim()}`);
    super(`${what}: HTTP ${status} ${reason.trim()}${params.length > 0 ? ` (${params.join("; ")})` : ""}`);
    this.name = "ProxmoxApiError";
  }
}

/** A task that ended with an exit status other than OK. */
export class ProxmoxTaskError extends Error {
  constructor(
    readonly upid: string,
    readonly exitStatus: string,
    readonly log: readonly string[],
  ) {
    super(
      `Proxmox task ${upid} failed: ${exitStatus}` +
        (log.length > 0 ? `\n  last lines of its log:\n    ${log.join("\n    ")}` : ""),
    );
    this.name = "ProxmoxTaskError";
  }
}

export type GuestKind = "qemu" | "lxc";

/** One entry of a guest's snapshot list (the `current` pseudo-entry is left out). */
export interface SnapshotInfo {
  readonly name: string;
  readonly description: string;
  readonly snaptime?: number;
  readonly vmstate?: number;
  readonly parent?: string;
}

export interface TaskStatus {
  readonly status: "running" | "stopped";
  readonly exitstatus?: string;
}

export interface ProxmoxClient {
  listSnapshots(node: string, kind: GuestKind, vmid: number): Promise<SnapshotInfo[]>;
  /** Takes a snapshot and waits for its task. */
  createSnapshot(
    node: string,
    kind: GuestKind,
    vmid: number,
    s: { name: string; description: string; vmstate: boolean },
  ): Promise<void>;
  /** Deletes a snapshot and waits for its task. */
  deleteSnapshot(node: string, kind: GuestKind, vmid: number, name: string): Promise<void>;
  setSnapshotDescription(node: string, kind: GuestKind, vmid: number, name: string, description: string): Promise<void>;
  /** Polls a task until it stops; throws {@link ProxmoxTaskError} with its log's last lines unless it ended OK. */
  waitForTask(node: string, upid: string): Promise<TaskStatus>;
  close(): Promise<void>;
}

/** True when Proxmox says the guest does not exist (its config file is missing). */
export function isGuestMissing(e: unknown): boolean {
  return e instanceof ProxmoxApiError && e.status === 500 && /Configuration file '.*' does not exist/.test(e.reason);
}

const API = "/api2/json";

export function createProxmoxClient(o: ProxmoxClientOptions): ProxmoxClient {
  const base = o.endpoint.replace(/\/+$/, "");
  const agent = new Agent({
    connect: {
      rejectUnauthorized: true,
      ...(o.caCert !== undefined ? { ca: o.caCert } : {}),
    },
  });
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let ticket: Promise<{ cookie: string; csrf: string }> | undefined;

  const send = async <T>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    what: string,
    form?: Record<string, string>,
    signIn = true,
  ): Promise<T> => {
    const headers: Record<string, string> = {};
    if (signIn) {
      if ("apiToken" in o.auth) headers["authorization"] = `PVEAPIToken=${o.auth.apiToken}`;
      else {
        ticket ??= login();
        const t = await ticket;
        headers["cookie"] = `PVEAuthCookie=${t.cookie}`;
        if (method !== "GET") headers["csrfpreventiontoken"] = t.csrf;
      }
    }
    const body = form ? new URLSearchParams(form).toString() : undefined;
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    let res;
    try {
      res = await fetch(`${base}${API}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        dispatcher: agent,
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
      const code = err.cause?.code ?? err.code ?? (err.name === "TimeoutError" ? "timed out" : "");
      const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
      throw new Error(
        `${what}: cannot reach the Proxmox API at ${base} (${code || err.message})` +
          (tls
            ? ": its certificate is not trusted; set phoenix:proxmox.ca_cert to the node's " +
              "/etc/pve/pve-root-ca.pem (no credential was sent)"
            : ""),
      );
    }
    const text = await res.text();
    if (res.status >= 400) {
      let errors: Record<string, string> = {};
      try {
        errors = (JSON.parse(text) as { errors?: Record<string, string> }).errors ?? {};
      } catch {
        // Not JSON: the status line says it all.
      }
      throw new ProxmoxApiError(res.status, res.statusText || statusText(res.status, text), errors, what);
    }
    try {
      return (JSON.parse(text) as { data: T }).data;
    } catch {
      throw new Error(`${what}: the answer from ${base} is not Proxmox's JSON (${text.slice(0, 80)})`);
    }
  };

  const login = async () => {
    const auth = o.auth as { username: string; password: string };
    const t = await send<{ ticket: string; CSRFPreventionToken: string }>(
      "POST",
      "/access/ticket",
      `signing in to ${base} as ${auth.username}`,
      { username: auth.username, password: auth.password },
      false,
    );
    return { cookie: t.ticket, csrf: t.CSRFPreventionToken };
  };

  const guestPath = (node: string, kind: GuestKind, vmid: number) =>
    `/nodes/${encodeURIComponent(node)}/${kind}/${vmid}`;
  const label = (kind: GuestKind, vmid: number) => `${kind === "qemu" ? "VM" : "CT"} ${vmid}`;

  const client: ProxmoxClient = {
    async listSnapshots(node, kind, vmid) {
      const list = await send<SnapshotInfo[]>(
        "GET",
        `${guestPath(node, kind, vmid)}/snapshot`,
        `listing the snapshots of ${label(kind, vmid)}`,
      );
      return list.filter((s) => s.name !== "current");
    },
    async createSnapshot(node, kind, vmid, s) {
      const what = `taking snapshot ${s.name} of ${label(kind, vmid)}`;
      const form: Record<string, string> = { snapname: s.name, description: s.description };
      if (kind === "qemu") form["vmstate"] = s.vmstate ? "1" : "0";
      const upid = await send<string>("POST", `${guestPath(node, kind, vmid)}/snapshot`, what, form);
      await client.waitForTask(node, upid);
    },
    async deleteSnapshot(node, kind, vmid, name) {
      const what = `deleting snapshot ${name} of ${label(kind, vmid)}`;
      const upid = await send<string>(
        "DELETE",
        `${guestPath(node, kind, vmid)}/snapshot/${encodeURIComponent(name)}`,
        what,
      );
      await client.waitForTask(node, upid);
    },
    async setSnapshotDescription(node, kind, vmid, name, description) {
      await send<null>(
        "PUT",
        `${guestPath(node, kind, vmid)}/snapshot/${encodeURIComponent(name)}/config`,
        `describing snapshot ${name} of ${label(kind, vmid)}`,
        { description },
      );
    },
    async waitForTask(node, upid) {
      const started = Date.now();
      const max = o.pollMs ?? 1000;
      let wait = Math.min(100, max);
      const path = `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}`;
      for (;;) {
        const s = await send<TaskStatus>("GET", `${path}/status`, `reading task ${upid}`);
        if (s.status !== "running") {
          if (s.exitstatus === "OK" || /^WARNINGS: \d+$/.test(s.exitstatus ?? "")) return s;
          const log = await send<{ n: number; t: string }[]>("GET", `${path}/log?start=0&limit=500`, "").catch(
            () => [],
          );
          throw new ProxmoxTaskError(
            upid,
            s.exitstatus ?? "unknown",
            log.slice(-10).map((l) => l.t),
          );
        }
        if (Date.now() - started > (o.taskTimeoutMs ?? 600_000))
          throw new Error(`Proxmox task ${upid} still runs after ${Math.round((o.taskTimeoutMs ?? 600_000) / 1000)} s`);
        await sleep(wait);
        wait = Math.min(wait * 2, max);
      }
    },
    async close() {
      await agent.close();
    },
  };
  return client;
}

/** Proxmox's text is in the status line; a proxy in front may drop it: then the body's `message`, if any. */
function statusText(status: number, body: string): string {
  try {
    const j = JSON.parse(body) as { message?: string };
    if (typeof j.message === "string") return j.message;
  } catch {
    // not JSON
  }
  return `(status ${status})`;
}
