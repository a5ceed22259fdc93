// Proves: phoenix:gateways, phoenix:certificates, phoenix:dns and phoenix:firewall are checked against the guests
// and the deployed stacks, each problem with its path and an exact message; a valid edge resolves to the gateways,
// routes, certificate names and DNS records the program builds; compose ports parse in every form the Compose spec
// allows. Does not prove: anything on a guest (test/guests/gateway.guest.ts does).
import { providerRule } from "../../components/proxmox/firewall";
import { firewallRules } from "../../config/firewall";
import { certificateSpecs, dnsRecords, routesOf } from "../../config/gateways";
import { publishedPorts, type Problem } from "../../config/validate";
import { edgeSite, edgeValues, validateEdge } from "../helpers/edge";
import { SECRET_KEYS, validValues } from "../helpers/site";

type Values = Record<string, unknown>;

function problemsOf(v: Values): Problem[] {
  const r = validateEdge(v);
  return r.ok ? [] : r.problems;
}

describe("a valid edge", () => {
  it("resolves the gateways, the route, the certificates' names and the DNS records", () => {
    const site = edgeSite();
    expect([site.gateways.nginx?.guest.name, site.gateways.nginx?.hosts, site.gateways.nginx?.portainerHost]).toEqual([
      "nginx-gateway",
      ["qdrant.internal.thinkheads.ai"],
      "portainer.phoenix.local",
    ]);
    expect(site.gateways.traefik).toMatchObject({
      version: "v3.3.6",
      dynamicDir: "/etc/traefik/dynamic",
      entrypoints: { web: 80, websecure: 443 },
    });
    expect(
      routesOf(site).map((r) => [r.stack, r.host, r.port, r.entrypoints, r.tls, r.guests.map((g) => g.name)]),
    ).toEqual([["qdrant_service", "qdrant.internal.thinkheads.ai", 6333, ["websecure"], true, ["Dr-Phoenix"]]]);
    expect(certificateSpecs(site).map((s) => [s.id, s.guest.name, s.commonName, s.dnsNames, s.ipAddresses])).toEqual([
      ["portainer", "Portainer", "portainer.phoenix.local", ["portainer.phoenix.local", "portainer"], ["10.0.0.101"]],
      [
        "nginx",
        "nginx-gateway",
        "portainer.phoenix.local",
        ["portainer.phoenix.local", "qdrant.internal.thinkheads.ai"],
        ["10.0.0.153"],
      ],
      [
        "traefik",
        "traefik",
        "qdrant.internal.thinkheads.ai",
        ["qdrant.internal.thinkheads.ai", "traefik", "traefik.phoenix.local"],
        ["10.0.0.12"],
      ],
    ]);
    expect(dnsRecords(site)).toEqual([
      { name: "dev-apps.phoenix.local", ip: "10.0.0.202" },
      { name: "dr-phoenix.phoenix.local", ip: "10.0.0.102" },
      { name: "nginx-gateway.phoenix.local", ip: "10.0.0.153" },
      { name: "portainer.phoenix.local", ip: "10.0.0.153" },
      { name: "qdrant.internal.thinkheads.ai", ip: "10.0.0.153" },
      { name: "traefik.phoenix.local", ip: "10.0.0.12" },
    ]);
    expect([site.dns?.guest.name, site.dns?.domain, site.dns?.upstream]).toEqual([
      "nginx-gateway",
      "phoenix.local",
      ["10.0.0.1"],
    ]);
    expect(site.firewall).toEqual({ enabled: true, admin_networks: ["10.0.0.0/24"], client_networks: ["10.0.0.0/24"] });
    expect(site.certificates).toEqual({
      ca_common_name: "phoenix internal CA",
      ca_validity_days: 3650,
      validity_days: 365,
      renew_before_days: 30,
      custom: {},
    });
  });

  it("a site without the keys has no gateways, DNS or firewall, and phoenix's certificate for Portainer", () => {
    const site = edgeSite(validValues());
    expect([site.gateways, site.dns, site.firewall]).toEqual([{}, undefined, undefined]);
    expect(certificateSpecs(site).map((s) => s.id)).toEqual(["portainer"]);
  });

  it("Portainer keeps its own certificate when the site pins a CA or skips verification", () => {
    for (const tls of [
      { insecure_skip_verify: true },
      { ca_cert: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----" },
    ]) {
      const v = validValues();
      (v["phoenix:portainer"] as Values)["tls"] = tls;
      expect(certificateSpecs(edgeSite(v))).toEqual([]);
    }
  });
});

describe("an edge with problems", () => {
  const cases: [string, (v: Values) => void, Problem[]][] = [
    [
      "gateway guests that do not exist",
      (v) => (v["phoenix:gateways"] = { nginx: { guest: "gw" }, traefik: { guest: "tr" } }),
      [
        {
          path: "phoenix:gateways.traefik.guest",
          message: 'no guest is named "tr" (guests: Portainer, Dr-Phoenix, traefik, dev-apps, nginx-gateway)',
        },
        {
          path: "phoenix:gateways.nginx.guest",
          message: 'no guest is named "gw" (guests: Portainer, Dr-Phoenix, traefik, dev-apps, nginx-gateway)',
        },
      ],
    ],
    [
      "Traefik on a guest without Docker",
      (v) => ((v["phoenix:gateways"] as Values)["traefik"] = { guest: "nginx-gateway" }),
      [
        {
          path: "phoenix:gateways.traefik.guest",
          message: "nginx-gateway needs the docker feature: Traefik runs there as a container (features: base_setup)",
        },
      ],
    ],
    [
      "an Nginx host no deployed stack routes",
      (v) => ((v["phoenix:gateways"] as { nginx: Values }).nginx["hosts"] = ["app.thinkheads.ai"]),
      [
        {
          path: "phoenix:gateways.nginx.hosts[0]",
          message:
            "app.thinkheads.ai is not the traefik_service.host of a deployed stack " +
            "(hosts: qdrant.internal.thinkheads.ai)",
        },
      ],
    ],
    [
      "a route whose port the stack does not publish (thinkheads_ai_app's 8080)",
      (v) =>
        ((v["phoenix:lxcs"] as Values[])[0]!["docker_stacks"] = [
          { name: "thinkheads_ai_app", environment: "testing" },
        ]),
      [
        {
          path: "stacks/thinkheads_ai_app/phoenix.json: traefik_service.port",
          message:
            "8080 is not published by service app in docker-compose.yml (published: none); the gateway reaches the " +
            'stack at its guest\'s address, so add "8080:8080" to its ports',
        },
      ],
    ],
    [
      "an unpinned Traefik version",
      (v) =>
        ((v["phoenix:gateways"] as Values)["traefik"] = {
          guest: "traefik",
          entrypoints: { web: 80 },
          version: "latest",
        }),
      [
        {
          path: "phoenix:gateways.traefik.version",
          message: "must be a pinned Traefik release tag such as v3.3.6 (not latest)",
        },
      ],
    ],
    [
      "an entry point a manifest names that Traefik lacks",
      (v) => ((v["phoenix:gateways"] as Values)["traefik"] = { guest: "traefik", entrypoints: { web: 80 } }),
      [
        {
          path: "stacks/qdrant_service/phoenix.json: traefik_service.entrypoints",
          message: 'entry point "websecure" is not one of phoenix:gateways.traefik.entrypoints (web)',
        },
      ],
    ],
    [
      "a Portainer UI name without Portainer",
      (v) => {
        delete v["phoenix:portainer"];
        for (const g of [...(v["phoenix:vms"] as Values[]), ...(v["phoenix:lxcs"] as Values[])]) {
          delete g["portainer_role"];
          g["docker_stacks"] = [];
        }
      },
      [
        {
          path: "phoenix:gateways.nginx.portainer_host",
          message: "needs a Portainer server (a guest with portainer_role primary)",
        },
      ],
    ],
    [
      "an empty gateways key",
      (v) => (v["phoenix:gateways"] = {}),
      [
        { path: "phoenix:gateways", message: "must configure nginx, traefik or both" },
        { path: "phoenix:dns.guest", message: "is required when no Nginx gateway is configured (dnsmasq runs there)" },
      ],
    ],
    [
      "DNS forwarding to itself, and no domain",
      (v) => {
        (v["phoenix:proxmox"] as Values)["dns"] = { servers: ["10.0.0.153"] };
      },
      [
        { path: "phoenix:dns.domain", message: "is required unless proxmox.dns.domain is set" },
        {
          path: "phoenix:dns.upstream",
          message: "must not name 10.0.0.153: dnsmasq runs there and would forward to itself",
        },
      ],
    ],
    [
      "a custom certificate for a name the gateway does not serve, in plain text",
      (v) =>
        (v["phoenix:certificates"] = {
          custom: {
            "www.example.com": {
              certificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
              private_key: "k",
            },
          },
        }),
      [
        {
          path: "phoenix:certificates.custom.www.example.com.private_key",
          message:
            "must be stored as a secret, not in plain text: pulumi config set --secret --path " +
            "'certificates.custom.<host>.private_key' <value>",
        },
      ],
    ],
    [
      "renewal as long as the validity",
      (v) => (v["phoenix:certificates"] = { validity_days: 30, renew_before_days: 30 }),
      [
        {
          path: "phoenix:certificates.renew_before_days",
          message: "must be less than validity_days (or every up would renew)",
        },
      ],
    ],
    [
      "a guest's own firewall rules that phoenix cannot express",
      (v) => {
        const vms = v["phoenix:vms"] as Record<string, unknown>[];
        vms[0]!["firewall_rules"] = [{ port: "9443", source: "10.0.0.12" }];
        vms[1]!["firewall_rules"] = [{ direction: "both", action: "allow", proto: "gre", port: "80-90", dest: "any" }];
      },
      [
        { path: "phoenix:vms[1].firewall_rules[0].direction", message: "must be in or out" },
        { path: "phoenix:vms[1].firewall_rules[0].action", message: "must be ACCEPT, DROP or REJECT" },
        { path: "phoenix:vms[1].firewall_rules[0].proto", message: "must be tcp, udp or icmp" },
        {
          path: "phoenix:vms[1].firewall_rules[0].port",
          message: "must be ports or ranges, comma-separated (80,443 or 8000:8010)",
        },
        {
          path: "phoenix:vms[1].firewall_rules[0].dest",
          message: "must be IPv4 addresses or networks, comma-separated (10.0.0.12 or 10.0.0.0/24,10.0.0.13)",
        },
      ],
    ],
    [
      "a guest's own firewall rules without phoenix:firewall",
      (v) => {
        delete v["phoenix:firewall"];
        (v["phoenix:vms"] as Record<string, unknown>[])[0]!["firewall_rules"] = [{ port: "9443", source: "10.0.0.12" }];
      },
      [
        {
          path: "phoenix:vms[0].firewall_rules",
          message: "has no effect without phoenix:firewall (set its admin_networks to turn the guests' firewalls on)",
        },
      ],
    ],
    [
      "firewall networks that are not networks, and none",
      (v) => (v["phoenix:firewall"] = { admin_networks: ["10.0.0.1"], client_networks: [] }),
      [
        {
          path: "phoenix:firewall.admin_networks[0]",
          message: "must be an IPv4 network with a prefix length, e.g. 10.0.0.0/24",
        },
        { path: "phoenix:firewall.client_networks", message: "Too small: expected array to have >=1 items" },
      ],
    ],
  ];
  it.each(cases)("%s", (_name, mutate, expected) => {
    const v = edgeValues();
    mutate(v);
    expect(problemsOf(v)).toEqual(expected);
  });

  it("a custom certificate for a served name, as a secret, is used for that name alone", () => {
    const v = edgeValues();
    v["phoenix:certificates"] = {
      custom: {
        "qdrant.internal.thinkheads.ai": {
          certificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
          private_key: "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----",
        },
      },
    };
    const r = validateEdge(v, [...SECRET_KEYS, "phoenix:certificates"]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(certificateSpecs(r.site).find((s) => s.id === "nginx")?.dnsNames).toEqual(["portainer.phoenix.local"]);
  });
});

describe("a guest's own firewall rules", () => {
  it("come after phoenix's, in order, with their defaults; the provider gets exactly them", () => {
    const v = edgeValues();
    (v["phoenix:vms"] as Record<string, unknown>[])[0]!["firewall_rules"] = [
      { port: "9443", source: "10.0.0.12", proto: "tcp" },
      { direction: "out", action: "DROP", dest: "10.0.0.0/24", comment: "no east-west" },
    ];
    const site = edgeSite(v);
    const rules = firewallRules(site).find((f) => f.guest.id === 1001)!.rules;
    expect(rules.slice(-2)).toEqual([
      {
        direction: "in",
        action: "ACCEPT",
        proto: "tcp",
        dport: "9443",
        source: "10.0.0.12",
        comment: "phoenix:vms[0].firewall_rules[0]",
      },
      { direction: "out", action: "DROP", dest: "10.0.0.0/24", comment: "no east-west" },
    ]);
    expect(rules.slice(-2).map(providerRule)).toEqual([
      {
        type: "in",
        action: "ACCEPT",
        proto: "tcp",
        dport: "9443",
        source: "10.0.0.12",
        comment: "phoenix:vms[0].firewall_rules[0]",
        enabled: true,
      },
      { type: "out", action: "DROP", dest: "10.0.0.0/24", comment: "no east-west", enabled: true },
    ]);
    expect(providerRule(rules[0]!)).toEqual({
      type: "in",
      action: "ACCEPT",
      proto: "tcp",
      dport: "22",
      source: "10.0.0.0/24",
      comment: "phoenix: SSH from the admin networks",
      enabled: true,
    });
  });
});

describe("publishedPorts", () => {
  it("reads short and long syntax, ranges, protocols and host addresses; leaves out random host ports", () => {
    expect(
      publishedPorts([
        "6333:6333",
        "127.0.0.1:8080:80/tcp",
        "5353:53/udp",
        "9000-9001:9000-9001",
        "3000",
        { target: 80, published: 8081, protocol: "tcp" },
        { target: 81 },
      ]),
    ).toEqual([
      { port: 6333, protocol: "tcp" },
      { port: 8080, protocol: "tcp" },
      { port: 5353, protocol: "udp" },
      { port: 9000, protocol: "tcp" },
      { port: 9001, protocol: "tcp" },
      { port: 8081, protocol: "tcp" },
    ]);
    expect(publishedPorts(undefined)).toEqual([]);
  });
});
