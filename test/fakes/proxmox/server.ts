/**
 * A fake Proxmox VE API on node:https, 127.0.0.1, ephemeral port: the part phoenix's own client uses (guest
 * snapshots and their tasks), stateful, with Proxmox's auth rules and error shapes. Built from:
 * - the PVE API viewer (pve-docs `api-viewer/apidoc.js`): `GET/POST /nodes/{node}/{qemu|lxc}/{vmid}/snapshot`
 *   (the list ends with the `current` pseudo-snapshot, "You are here!"; POST returns a UPID),
 *   `DELETE .../snapshot/{snapname}` (a UPID), `PUT .../snapshot/{snapname}/config`,
 *   `GET /nodes/{node}/tasks/{upid}/status` (`status` running|stopped, `exitstatus` OK or the error) and
 *   `/log` (`[{n, t}]`), `POST /access/ticket`;
 * - pve-http-server `PVE/APIServer/AnyEvent.pm` and `Formatter.pm`: errors carry their text in the HTTP
 *   status line with a `{"data":null}` body, and a 400 "Parameter verification failed." adds `errors` per
 *   parameter; no credential is 401 "No ticket"; a token is `Authorization: PVEAPIToken=USER@REALM!ID=SECRET`
 *   (a wrong secret is 401 "invalid token value!"); a ticket is the `PVEAuthCookie` cookie, and a write
 *   without `CSRFPreventionToken` is 401 "Permission denied - invalid csrf token";
 * - pve-guest-common `PVE/AbstractConfig.pm` `snapshot_prepare`/`snapshot_delete`, run in the task (their
 *   error becomes its exit status): "snapshot name '<name>' already used", "snapshot '<name>' does not exist";
 *   and qemu-server/pve-container `load_config`: "Configuration file 'nodes/<node>/qemu-server/<vmid>.conf'
 *   does not exist" (500, before any task).
 * A route it does not serve answers as pve-http-server does for a path it has no handler for: 501 "Method '<METHOD>
 * <path>' not implemented" (the fake serves only what phoenix's client sends; that is not a placeholder).
 * Tasks finish after `taskMs`; `failNextTask` makes the next one end with an error text.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";

export type Kind = "qemu" | "lxc";

interface Snapshot {
  name: string;
  description: string;
  snaptime: number;
  vmstate?: number;
  parent?: string;
}

interface FakeGuest {
  node: string;
  kind: Kind;
  vmid: number;
  snapshots: Snapshot[];
}

interface Task {
  upid: string;
  node: string;
  startedAt: number;
  endsAt: number;
  exitstatus: string;
  log: string[];
  effect?: () => string | undefined;
  done?: boolean;
}

export interface FakeProxmoxState {
  guests: FakeGuest[];
  /** The certificate it serves, kept with the data so that clients' pinned CA stays valid (the lab). */
  tls?: { cert: string; key: string };
}

export interface RecordedProxmoxRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  form: Record<string, string>;
  status: number;
}

export interface FakeProxmoxOptions {
  /** The certificate to serve; default the one in `stateFile`. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** API tokens it accepts, `user@realm!id=secret`; `"any"` accepts every token of that form (the lab). */
  readonly tokens?: readonly string[] | "any";
  /** Users and passwords it accepts for tickets. */
  readonly users?: Readonly<Record<string, string>>;
  /** How long a task runs; default 30 ms. */
  readonly taskMs?: number;
  /** Keep the guests and snapshots in this file (the lab). */
  readonly stateFile?: string;
  readonly port?: number;
}

export interface FakeProxmox {
  readonly url: string;
  readonly port: number;
  /** The certificate it serves (self-signed: its own CA). */
  readonly cert: string;
  readonly requests: RecordedProxmoxRequest[];
  addGuest(node: string, kind: Kind, vmid: number): void;
  removeGuest(node: string, kind: Kind, vmid: number): void;
  snapshots(node: string, kind: Kind, vmid: number): Snapshot[] | undefined;
  /** Deletes a snapshot behind phoenix's back (as someone in the Proxmox UI would). */
  deleteOutOfBand(node: string, kind: Kind, vmid: number, name: string): void;
  /** The next task ends with this exit status, its log ending in it. */
  failNextTask(exitstatus: string): void;
  close(): Promise<void>;
}

const API = "/api2/json";

export async function startFakeProxmox(o: FakeProxmoxOptions): Promise<FakeProxmox> {
  const state: FakeProxmoxState =
    o.stateFile && fs.existsSync(o.stateFile)
      ? (JSON.parse(fs.readFileSync(o.stateFile, "utf8")) as FakeProxmoxState)
      : { guests: [] };
  const save = () => {
    if (o.stateFile) fs.writeFileSync(o.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  };
  const tokens = new Set(o.tokens === "any" ? [] : (o.tokens ?? []));
  const tokenOk = (t: string) =>
    o.tokens === "any" ? /^[^\s@!]+@[^\s!]+![A-Za-z][\w.-]*=\S+$/.test(t) : tokens.has(t);
  const tickets = new Map<string, { user: string; csrf: string }>();
  const tasks = new Map<string, Task>();
  const requests: RecordedProxmoxRequest[] = [];
  let nextFailure: string | undefined;
  let pid = 0x1000;

  const guest = (node: string, kind: Kind, vmid: number) =>
    state.guests.find((g) => g.node === node && g.kind === kind && g.vmid === vmid);

  const startTask = (node: string, type: string, id: number, user: string, effect: () => string | undefined) => {
    const now = Date.now();
    const hex = (n: number, w = 8) => n.toString(16).toUpperCase().padStart(w, "0");
    const stamp = `${hex(pid++)}:${hex(now % 0xffffffff)}:${hex(Math.floor(now / 1000))}`;
    const upid = `UPID:${node}:${stamp}:${type}:${id}:${user}:`;
    const fail = nextFailure;
    nextFailure = undefined;
    tasks.set(upid, {
      upid,
      node,
      startedAt: now,
      endsAt: now + (o.taskMs ?? 30),
      exitstatus: fail ?? "",
      log: [],
      ...(fail ? {} : { effect }),
    });
    return upid;
  };
  /** Runs a finished task's effect once; its error (a `die`) becomes the exit status, as in a forked worker. */
  const settle = (t: Task) => {
    if (t.done || Date.now() < t.endsAt) return;
    t.done = true;
    if (t.effect) {
      const err = t.effect();
      t.exitstatus = err ?? "OK";
      if (err) t.log.push(err);
    } else t.log.push(t.exitstatus);
    t.log.push(t.exitstatus === "OK" ? "TASK OK" : `TASK ERROR: ${t.exitstatus}`);
    save();
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://fake");
      const form = Object.fromEntries(new URLSearchParams(body));
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const reply = (status: number, data: unknown, reason?: string, errors?: Record<string, string>) => {
        requests.push({ method: req.method ?? "", path: url.pathname + url.search, headers, form, status });
        res.statusCode = status;
        if (reason) res.statusMessage = reason;
        res.setHeader("content-type", "application/json;charset=UTF-8");
        res.end(JSON.stringify({ data, ...(errors ? { errors } : {}) }));
      };
      const fail = (status: number, reason: string, errors?: Record<string, string>) =>
        reply(status, null, reason, errors);
      if (!url.pathname.startsWith(API)) return fail(501, "Unexpected content");
      const path = url.pathname.slice(API.length);
      const method = req.method ?? "GET";

      if (path === "/access/ticket" && method === "POST") {
        const expected = o.users?.[form["username"] ?? ""];
        if (expected === undefined || expected !== form["password"]) return fail(401, "authentication failure");
        const ticket = `PVE:${form["username"]}:${crypto.randomBytes(8).toString("hex")}`;
        const csrf = crypto.randomBytes(8).toString("hex");
        tickets.set(ticket, { user: form["username"]!, csrf });
        return reply(200, { ticket, CSRFPreventionToken: csrf, username: form["username"] });
      }

      // Authentication: a token, or a ticket cookie (with the CSRF header on writes).
      let user: string | undefined;
      const auth = headers["authorization"];
      if (auth?.startsWith("PVEAPIToken=")) {
        const token = auth.slice("PVEAPIToken=".length);
        if (!tokenOk(token)) return fail(401, "invalid token value!");
        user = token.split("=")[0];
      } else {
        const cookie = /PVEAuthCookie=([^;]+)/.exec(headers["cookie"] ?? "")?.[1];
        const t = cookie ? tickets.get(decodeURIComponent(cookie)) : undefined;
        if (!t) return fail(401, "No ticket");
        if (method !== "GET" && headers["csrfpreventiontoken"] !== t.csrf)
          return fail(401, "Permission denied - invalid csrf token");
        user = t.user;
      }

      let m = /^\/nodes\/([^/]+)\/tasks\/([^/]+)\/(status|log)$/.exec(path);
      if (m && method === "GET") {
        const t = tasks.get(decodeURIComponent(m[2]!));
        if (!t || t.node !== m[1]) return fail(500, `unable to open file - No such file or directory`);
        settle(t);
        if (m[3] === "log")
          return reply(
            200,
            t.log.map((line, i) => ({ n: i + 1, t: line })),
          );
        return reply(200, {
          upid: t.upid,
          node: t.node,
          status: t.done ? "stopped" : "running",
          ...(t.done ? { exitstatus: t.exitstatus } : {}),
          starttime: Math.floor(t.startedAt / 1000),
        });
      }

      m = /^\/nodes\/([^/]+)\/(qemu|lxc)\/(\d+)\/snapshot(?:\/([^/]+)(\/config)?)?$/.exec(path);
      if (!m) return fail(501, `Method '${method} ${path}' not implemented`);
      const [node, kind, vmid] = [m[1]!, m[2] as Kind, Number(m[3])];
      const snapname = m[4] ? decodeURIComponent(m[4]) : undefined;
      const g = guest(node, kind, vmid);
      if (!g) {
        const dir = kind === "qemu" ? "qemu-server" : "lxc";
        return fail(500, `Configuration file 'nodes/${node}/${dir}/${vmid}.conf' does not exist`);
      }
      const type = kind === "qemu" ? "qm" : "vz";
      if (snapname === undefined && method === "GET") {
        const current = { name: "current", description: "You are here!", running: 1 };
        const last = g.snapshots[g.snapshots.length - 1];
        return reply(200, [...g.snapshots, { ...current, ...(last ? { parent: last.name } : {}) }]);
      }
      if (snapname === undefined && method === "POST") {
        const name = form["snapname"] ?? "";
        if (!/^[A-Za-z][A-Za-z0-9_-]+$/.test(name) || name.length > 40)
          return fail(400, "Parameter verification failed.", {
            snapname: name
              ? "invalid format - invalid configuration ID '" + name + "'\n"
              : "property is missing and it is not optional\n",
          });
        if (form["vmstate"] !== undefined && kind === "lxc")
          return fail(400, "Parameter verification failed.", {
            vmstate: "property is not defined in schema and the schema does not allow additional properties\n",
          });
        const upid = startTask(node, `${type}snapshot`, vmid, user!, () => {
          if (g.snapshots.some((s) => s.name === name)) return `snapshot name '${name}' already used`;
          const parent = g.snapshots[g.snapshots.length - 1]?.name;
          g.snapshots.push({
            name,
            description: form["description"] ?? "",
            snaptime: Math.floor(Date.now() / 1000),
            ...(kind === "qemu" ? { vmstate: form["vmstate"] === "1" ? 1 : 0 } : {}),
            ...(parent ? { parent } : {}),
          });
          return undefined;
        });
        return reply(200, upid);
      }
      if (snapname !== undefined && !m[5] && method === "DELETE") {
        const upid = startTask(node, `${type}delsnapshot`, vmid, user!, () => {
          if (!g.snapshots.some((s) => s.name === snapname)) return `snapshot '${snapname}' does not exist`;
          g.snapshots = g.snapshots.filter((s) => s.name !== snapname);
          return undefined;
        });
        return reply(200, upid);
      }
      if (snapname !== undefined && m[5] && method === "PUT") {
        const s = g.snapshots.find((x) => x.name === snapname);
        if (!s) return fail(500, `snapshot '${snapname}' does not exist`);
        s.description = form["description"] ?? "";
        save();
        return reply(200, null);
      }
      return fail(501, `Method '${method} ${path}' not implemented`);
    });
  };

  const tls = o.tls ?? state.tls;
  if (!tls) throw new Error("the fake Proxmox needs a certificate (tls, or one kept in its state file)");
  state.tls = { cert: tls.cert, key: tls.key };
  save();
  const server = https.createServer({ cert: tls.cert, key: tls.key }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    cert: tls.cert,
    requests,
    addGuest(node, kind, vmid) {
      if (!guest(node, kind, vmid)) state.guests.push({ node, kind, vmid, snapshots: [] });
      save();
    },
    removeGuest(node, kind, vmid) {
      state.guests = state.guests.filter((g) => !(g.node === node && g.kind === kind && g.vmid === vmid));
      save();
    },
    snapshots: (node, kind, vmid) => guest(node, kind, vmid)?.snapshots.map((s) => ({ ...s })),
    deleteOutOfBand(node, kind, vmid, name) {
      const g = guest(node, kind, vmid);
      if (g) g.snapshots = g.snapshots.filter((s) => s.name !== name);
      save();
    },
    failNextTask(exitstatus) {
      nextFailure = exitstatus;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
