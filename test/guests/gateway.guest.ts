// Proves, on real Debian 12 guests through `npm run lab -- up --guests real` (the program's own scripts over SSH):
// the dev site with an Nginx gateway LXC and dnsmasq on it installs both from Debian, writes their files and
// phoenix's certificates; dnsmasq answers the internal names with the configured addresses; a request for qdrant's
// host reaches the gateway by the name's address, is served with phoenix's certificate (verified against the CA
// with Node's TLS, and refused without it) and is proxied to the backend on dev-apps at its configured address;
// a configuration Nginx refuses fails the step with nginx -t's words and leaves the working one in place; the
// prod site's rendered gateway file passes the real nginx -t; a second up runs nothing.
// Does not prove: Traefik (no image can be pulled here), the Proxmox firewall, or Portainer behind the gateway
// (its container stays simulated).
import { execFileSync, spawnSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import { main as plan } from "../../cli/plan";
import { NGINX_CONF } from "../../components/gateway/nginx";
import { nginxConfigScript } from "../../components/gateway/scripts";
import { LabDriver } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";
import { engine, type Engine } from "./harness";

const QDRANT = "qdrant.internal.thinkheads.ai";
let e: Engine;
let dir: string;
let driver: LabDriver;
beforeAll(() => {
  e = engine();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-gateway-real-"));
  driver = new LabDriver();
});
afterAll(() => {
  driver?.close();
  // Guests a failed run left behind (destroy removes them when the test gets that far).
  if (e) {
    const left = docker("ps", "-aq", "--filter", "label=phoenix.lab=gw");
    if (left !== "") docker("rm", "-f", ...left.split("\n"));
    spawnSync("docker", ["-H", e.dockerHost, "network", "rm", "phoenix-lab-gw"], { stdio: "ignore" });
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Pulumi.dev.yaml with a gateway LXC (Nginx and dnsmasq) and a backend for qdrant's port on dev-apps. */
function stackFile(): string {
  const text = fs
    .readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")
    .replace(
      "      portainer_role: agent\n",
      "      portainer_role: agent\n      setup_scripts:\n" +
        "        - { name: backend, source: test/fixtures/setup/backend.sh }\n",
    )
    .replace(
      "  phoenix:qdrant_api_key:",
      [
        "    - ctid: 2003",
        "      name: dev-gateway",
        "      template: local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        "      cores: 1",
        "      memory_mb: 1024",
        "      disk_size_gb: 8",
        "      features: [base_setup]",
        "      proxmox_features: { nesting: true }",
        "      network_config: { ip: 10.0.0.203/24, gw: 10.0.0.1 }",
        "  phoenix:gateways:",
        "    nginx:",
        "      guest: dev-gateway",
        "      portainer_host: portainer.phoenix.local",
        `      hosts: [${QDRANT}]`,
        "  phoenix:dns: {}",
        "  phoenix:qdrant_api_key:",
      ].join("\n"),
    );
  const file = path.join(dir, "Pulumi.dev.yaml");
  fs.writeFileSync(file, text);
  return file;
}

async function lab(args: string[]): Promise<{ code: number; out: string[] }> {
  const r = await driver.run(
    [...args, "--stack", "gw", "--guests", "real", "--state", path.join(dir, "gw.json"), "--stack-file", stackFile()],
    { PULUMI_CONFIG_PASSPHRASE: "phoenix-example" },
  );
  return { code: r.code, out: r.out };
}
const docker = (...args: string[]) =>
  execFileSync("docker", ["-H", e.dockerHost, ...args], { encoding: "utf8" }).trim();
// Its own stack name, so that its guests and network are not labReal.guest.ts's (the suites run in parallel).
const GATEWAY = "phoenix-lab-gw-2003";
/** The gateway container's own address on the lab network (the test host reaches it, not 10.0.0.203). */
const gatewayAddress = () =>
  docker("inspect", "-f", '{{(index .NetworkSettings.Networks "phoenix-lab-gw").IPAddress}}', GATEWAY);
const caPem = () =>
  String(
    (
      JSON.parse(fs.readFileSync(path.join(dir, "gw.json"), "utf8")) as {
        resources: { name: string; outputs: Record<string, unknown> }[];
      }
    ).resources.find((r) => r.name === "phoenix-certificates-ca")!.outputs["certPem"],
  );

function get(
  address: string,
  host: string,
  ca?: string,
): Promise<{ status: number; body: string; authorized: boolean; san: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: address, port: 443, path: "/", servername: host, headers: { host }, agent: false, ...(ca ? { ca } : {}) },
      (res) => {
        // The socket's TLS state, read before the response ends and the socket is let go.
        const sock = res.socket as TLSSocket;
        const tls = { authorized: sock.authorized, san: sock.getPeerCertificate().subjectaltname ?? "" };
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ...tls }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${address} for ${host} in 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

describe("the Nginx gateway and dnsmasq on a real guest", () => {
  it("installs and configures both, serves qdrant's host with phoenix's certificate, and proxies it", async () => {
    const up = await lab(["up"]);
    process.stdout.write(`gateway up:\n${up.out.filter((l) => / ssh |^up /.test(l)).join("\n")}\n`);
    expect(up.code).toBe(0);
    const ran = up.out.filter((l) => /: ssh \S+@/.test(l)).map((l) => l.split(":")[1]!.trim());
    expect(ran.filter((n) => /gateway|certificates|backend/.test(n)).sort()).toEqual([
      "phoenix-gateway-dnsmasq-config",
      "phoenix-gateway-nginx-certificates",
      "phoenix-gateway-nginx-config",
      "phoenix-lxc-2002-setup-script-backend",
      "phoenix-portainer-certificates",
    ]);
    expect(docker("exec", GATEWAY, "sh", "-c", "nginx -t 2>&1")).toContain("test is successful");
    expect(docker("exec", GATEWAY, "stat", "-c", "%a", "/etc/nginx/phoenix/gateway.key")).toBe("600");
    expect(docker("exec", "phoenix-lab-gw-2001", "stat", "-c", "%a", "/etc/phoenix/certs/portainer.key")).toBe("600");

    // dnsmasq answers the internal names with the configured addresses, and only those of its domain.
    const address = gatewayAddress();
    const dns = new Resolver({ timeout: 5000, tries: 2 });
    dns.setServers([address]);
    expect(await dns.resolve4(QDRANT)).toEqual(["10.0.0.203"]);
    expect(await dns.resolve4("portainer.phoenix.local")).toEqual(["10.0.0.203"]);
    expect(await dns.resolve4("dev-apps.phoenix.local")).toEqual(["10.0.0.202"]);
    expect(await dns.resolve4("dev-portainer.phoenix.local")).toEqual(["10.0.0.201"]);
    await expect(dns.resolve4("nothing.phoenix.local")).rejects.toMatchObject({ code: "ENOTFOUND" });

    // The name's address is the gateway's; the test host reaches it at the container's own address.
    const r = await get(address, QDRANT, caPem());
    expect(r).toEqual({
      status: 200,
      body: "hello from dev-apps\n",
      authorized: true,
      san: "DNS:portainer.phoenix.local, DNS:qdrant.internal.thinkheads.ai, IP Address:10.0.0.203",
    });
    // Without phoenix's CA the certificate is not trusted.
    await expect(get(address, QDRANT)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    const redirect = await new Promise<{ status: number; location: string }>((resolve, reject) =>
      http
        .get({ host: address, port: 80, path: "/x", headers: { host: QDRANT } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) });
        })
        .on("error", reject),
    );
    expect(redirect).toEqual({ status: 301, location: `https://${QDRANT}/x` });

    // A configuration Nginx refuses: the step fails with nginx -t's words, and the working file stays.
    const before = docker("exec", GATEWAY, "cat", NGINX_CONF);
    const broken = nginxConfigScript({ path: NGINX_CONF, content: "server { listen 443 ssl; bogus_directive on; }\n" });
    let failure = "";
    try {
      execFileSync("docker", ["-H", e.dockerHost, "exec", "-i", GATEWAY, "sh"], { input: broken, stdio: "pipe" });
    } catch (err) {
      failure = String((err as { stderr: Buffer }).stderr);
    }
    expect(failure).toMatch(/^nginx gateway: nginx refused the new configuration, the previous one is kept: /);
    expect(failure).toContain('unknown directive "bogus_directive"');
    expect(docker("exec", GATEWAY, "cat", NGINX_CONF)).toBe(before);
    expect((await get(address, QDRANT, caPem())).status).toBe(200);

    // The prod site's gateway file passes the real nginx -t (its certificate paths exist on this gateway).
    const out: string[] = [];
    expect(
      plan(
        ["--stack", "prod", "--json"],
        PROJECT_DIR,
        (s) => out.push(s),
        () => undefined,
      ),
    ).toBe(0);
    const prod = (
      JSON.parse(out.join("\n")) as { gateways: { kind: string; files: { content: string }[] }[] }
    ).gateways.find((g) => g.kind === "nginx")!.files[0]!.content;
    execFileSync("docker", ["-H", e.dockerHost, "exec", "-i", GATEWAY, "sh", "-c", "cat > /tmp/prod-gateway.conf"], {
      input: prod,
    });
    docker(
      "exec",
      GATEWAY,
      "sh",
      "-c",
      "printf 'pid /tmp/nginx-test.pid;\\nevents {}\\nhttp { include /tmp/prod-gateway.conf; }\\n' " +
        "> /tmp/prod-nginx.conf",
    );
    expect(docker("exec", GATEWAY, "sh", "-c", "nginx -t -c /tmp/prod-nginx.conf 2>&1")).toContain(
      "test is successful",
    );

    const again = await lab(["up"]);
    const changes = (out: string[]) => out.filter((l) => /^(\+|~|-|\+-) +(create|update|replace|delete) /.test(l));
    expect([again.code, changes(again.out), again.out.filter((l) => /: ssh \S+@/.test(l))]).toEqual([0, [], []]);

    const destroy = await lab(["destroy"]);
    expect(destroy.code).toBe(0);
    expect(docker("ps", "-aq", "--filter", "label=phoenix.lab=gw")).toBe("");
  }, 900_000);
});
