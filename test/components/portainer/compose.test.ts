// Proves: compose rendering injects Traefik labels in list and map form without disturbing existing
// labels (deploy.labels for swarm), turns files into inline or external configs, escapes `$` in inline
// content, renders the example stacks validly, and rejects an invalid compose file with a message naming
// the stack and the problem (validated against the Compose spec schema shipped by dclint).
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
  ComposeError,
  composeProblems,
  dockerConfigName,
  mergeLabels,
  renderCompose,
  traefikLabels,
  type RenderInput,
} from "../../../components/portainer/compose";
import { EXAMPLE_STACKS } from "../../helpers/site";

const ROUTE = { service: "web", host: "app.example.com", port: 8080, entrypoints: ["websecure"], tls: true };
const LABELS = [
  "traefik.enable=true",
  "traefik.http.routers.my-app.rule=Host(`app.example.com`)",
  "traefik.http.routers.my-app.entrypoints=websecure",
  "traefik.http.routers.my-app.tls=true",
  "traefik.http.services.my-app.loadbalancer.server.port=8080",
];
const base = (compose: string, extra: Partial<RenderInput> = {}): RenderInput => ({
  stack: "my_app",
  where: "my_app on vm-1 (phoenix:vms[0].docker_stacks[0])",
  compose,
  files: [],
  mode: "standalone",
  ...extra,
});
const render = (input: RenderInput) =>
  parse(renderCompose(input)) as {
    services: Record<string, Record<string, unknown>>;
    configs?: Record<string, unknown>;
  };

describe("traefikLabels and mergeLabels", () => {
  it("builds the router, entrypoints, TLS and service port labels", () => {
    expect(traefikLabels("my_app", ROUTE).map(([k, v]) => `${k}=${v}`)).toEqual(LABELS);
    expect(
      traefikLabels("my_app", { ...ROUTE, tls: false, entrypoints: ["web", "websecure"] }).map(([k]) => k),
    ).not.toContain("traefik.http.routers.my-app.tls");
  });

  it.each([
    [
      "no labels",
      undefined,
      LABELS.map((l) => l.split("=")).reduce((m, [k, ...v]) => ({ ...m, [k!]: v.join("=") }), {}),
    ],
    ["list form, kept first", ["com.example.team=platform"], ["com.example.team=platform", ...LABELS]],
    [
      "map form, kept",
      { "com.example.team": "platform" },
      {
        "com.example.team": "platform",
        ...Object.fromEntries(LABELS.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])),
      },
    ],
    ["an existing traefik label wins", ["traefik.enable=false"], ["traefik.enable=false", ...LABELS.slice(1)]],
  ])("merges into %s", (_what, existing, expected) => {
    expect(mergeLabels(existing, traefikLabels("my_app", ROUTE))).toEqual(expected);
  });
});

describe("renderCompose", () => {
  const COMPOSE =
    "services:\n  web:\n    image: nginx:1.27\n    labels:\n      - " +
    "com.example.team=platform\n  cache:\n    image: redis:7\n";

  it("puts Traefik labels on the routed service only, in the form it uses", () => {
    const doc = render(base(COMPOSE, { traefik: ROUTE }));
    expect(doc.services["web"]!["labels"]).toEqual(["com.example.team=platform", ...LABELS]);
    expect(doc.services["cache"]!["labels"]).toBeUndefined();
  });

  it("puts them under deploy.labels for a swarm stack", () => {
    const doc = render(
      base("services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n", { traefik: ROUTE, mode: "swarm" }),
    );
    expect(doc.services["web"]!["deploy"]).toEqual({
      replicas: 2,
      labels: Object.fromEntries(LABELS.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])),
    });
    expect(doc.services["web"]!["labels"]).toBeUndefined();
  });

  it("turns files into inline configs on a standalone stack, escaping $", () => {
    const doc = render(
      base(COMPOSE, {
        files: [
          {
            source: "config/app.toml",
            destination: "/etc/app.toml",
            service: "web",
            content: 'key = "${NOT_A_VAR}"\n',
          },
        ],
      }),
    );
    expect(doc.configs).toEqual({ phoenix_0_app_toml: { content: 'key = "$${NOT_A_VAR}"\n' } });
    expect(doc.services["web"]!["configs"]).toEqual([{ source: "phoenix_0_app_toml", target: "/etc/app.toml" }]);
    expect(doc.services["cache"]!["configs"]).toBeUndefined();
  });

  it("mounts a file without a service in every service, keeping configs already there", () => {
    const doc = render(
      base(
        "services:\n  a:\n    image: x\n    configs: [shared]\n  b:\n    image: " +
          "y\nconfigs:\n  shared:\n    file: ./shared.txt\n",
        { files: [{ source: "f.yml", destination: "/f.yml", content: "x: 1\n" }] },
      ),
    );
    expect(doc.configs).toEqual({ shared: { file: "./shared.txt" }, phoenix_0_f_yml: { content: "x: 1\n" } });
    expect(doc.services["a"]!["configs"]).toEqual(["shared", { source: "phoenix_0_f_yml", target: "/f.yml" }]);
    expect(doc.services["b"]!["configs"]).toEqual([{ source: "phoenix_0_f_yml", target: "/f.yml" }]);
  });

  it("references Docker configs as external on a swarm stack, by a content-hashed name", () => {
    const f = { source: "config/app.toml", destination: "/etc/app.toml", service: "web", content: "a = 1\n" };
    const name = dockerConfigName("my_app", f.source, f.content);
    expect(name).toMatch(/^my_app-app\.toml-[0-9a-f]{10}$/);
    expect(dockerConfigName("my_app", f.source, "a = 2\n")).not.toBe(name);
    const doc = render(base(COMPOSE, { mode: "swarm", files: [f], configNames: { [f.source]: name } }));
    expect(doc.configs).toEqual({ phoenix_0_app_toml: { external: true, name } });
  });

  it.each([
    [
      "a service key the spec does not know",
      "services:\n  web:\n    image: nginx\n    imagee: typo\n",
      "the rendered compose file is invalid: services.web: must NOT have additional properties (imagee)",
    ],
    [
      "ports of the wrong type",
      "services:\n  web:\n    image: nginx\n    ports: 8080\n",
      "the rendered compose file is invalid: services.web.ports: must be array",
    ],
    ["no services map", "volumes: {}\n", "the compose file has no services map"],
    ["broken YAML", "services: [\n", "the compose file is not valid YAML: "],
  ])("rejects %s, naming the stack", (_what, compose, problem) => {
    expect(() => renderCompose(base(compose))).toThrow(ComposeError);
    expect(() => renderCompose(base(compose))).toThrow(
      `Stack my_app on vm-1 (phoenix:vms[0].docker_stacks[0]): ${problem}`,
    );
  });

  it("rejects a Traefik route to a service the compose file lacks", () => {
    expect(() => renderCompose(base(COMPOSE, { traefik: { ...ROUTE, service: "api" } }))).toThrow(
      "Stack my_app on vm-1 (phoenix:vms[0].docker_stacks[0]): " +
        'traefik_service.service "api" is not a service of the compose file',
    );
  });

  it.each(["qdrant_service", "thinkheads_ai_app"])(
    "renders the example %s validly with its files and route",
    (stack) => {
      const dir = path.join(EXAMPLE_STACKS, stack);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "phoenix.json"), "utf8"));
      const env = manifest.environments.production;
      const files = env.files.map((f: { source: string; destination: string; service?: string }) => ({
        ...f,
        content: fs.readFileSync(path.join(dir, f.source), "utf8"),
      }));
      const text = renderCompose({
        stack,
        where: stack,
        compose: fs.readFileSync(path.join(dir, manifest.compose_file), "utf8"),
        files,
        traefik: manifest.traefik_service,
        mode: "standalone",
      });
      const doc = parse(text) as { services: Record<string, { labels: string[] | Record<string, string> }> };
      expect(composeProblems(doc)).toEqual([]);
      const labels = doc.services[manifest.traefik_service.service]!.labels;
      const rule = Array.isArray(labels)
        ? labels
            .find((l) => l.includes(".rule="))
            ?.split("=")
            .slice(1)
            .join("=")
        : labels[`traefik.http.routers.${stack.replace(/_/g, "-")}.rule`];
      expect(rule).toBe(`Host(\`${manifest.traefik_service.host}\`)`);
    },
  );
});
