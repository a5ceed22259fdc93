// Proves: each rule of the policy pack passes and fails the resources it should, on stacks named prod*
// only, with exact messages; the example prod stack, as the program registers it, breaks exactly the TLS
// rule (its Portainer certificate is self-signed until issue 13) and dev breaks none; and the pack runs in
// Pulumi's own policy runner (type-checked by ts-node, served over gRPC), where the SDK hands it secrets
// unwrapped and reports its violations as mandatory diagnostics.
// Does not prove: the Pulumi CLI's handling of those diagnostics (exit code, display); no CLI here.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzerResourceOptions } from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Site } from "../../components/site";
import { decryptStackFile, toRuntimeConfig } from "../../config/sources";
import { validateSite } from "../../config/validate";
import { composeImages, productionPolicies, stackOfUrn, unpinnedReason } from "../../policy/policies";
import { secret, stripSecrets, urnOf } from "../harness/engine";
import { recordResources, type Recorded } from "../helpers/program";
import { EXAMPLE_STACKS, PROJECT_DIR } from "../helpers/site";

type Props = Record<string, unknown>;
const STACK = "pulumi-nodejs:dynamic/portainer:Stack";
const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const CONTAINER = "docker:index/container:Container";
const COMPOSE = "services:\n  qdrant:\n    image: qdrant/qdrant:v1.12.4\n";
const HTTPS = { url: "https://10.0.0.101:9443", apiKey: "ptr_x", caCert: "-----BEGIN CERTIFICATE-----" };

const policies = productionPolicies({ stacksDir: EXAMPLE_STACKS });

/** Runs every policy on one resource; returns `<policy>: <message>` per violation. */
function violations(
  type: string,
  name: string,
  props: Props,
  opts: { protect?: boolean } = {},
  stack = "prod",
): string[] {
  const out: string[] = [];
  for (const p of policies) {
    const report: ReportViolation = (message) => out.push(`${p.name}: ${message}`);
    const args = { type, name, props, urn: urnOf(type, name, stack), opts: { protect: opts.protect ?? false } };
    void (p.validateResource as (a: ResourceValidationArgs, r: ReportViolation) => void)(args as never, report);
  }
  return out;
}

const stackProps = (extra: Props = {}): Props => ({
  connection: HTTPS,
  name: "qdrant_service",
  composeContent: COMPOSE,
  env: [
    { name: "QDRANT_LOG_LEVEL", value: "INFO" },
    { name: "QDRANT_API_KEY", value: "s3cret" },
  ],
  secretNames: ["QDRANT_API_KEY"],
  ...extra,
});

describe("the policy rules", () => {
  it("reads the stack from the URN and applies to prod* stacks only", () => {
    expect(stackOfUrn("urn:pulumi:prod-eu::phoenix::pulumi-nodejs:dynamic/portainer:Stack::x")).toBe("prod-eu");
    const bad = stackProps({ composeContent: "services:\n  web:\n    image: nginx\n" });
    expect(violations(STACK, "s", bad, {}, "dev")).toEqual([]);
    expect(violations(STACK, "s", bad, {}, "production")).toEqual([
      "phoenix-pinned-images: Stack qdrant_service, service web: the image nginx has no tag (Docker pulls latest).",
    ]);
  });

  it("phoenix-pinned-images: a tag other than latest or a digest passes; no tag, latest or a variable fails", () => {
    expect(unpinnedReason("qdrant/qdrant:v1.12.4")).toBeUndefined();
    expect(unpinnedReason("registry.local:5000/team/app:1.2")).toBeUndefined();
    expect(unpinnedReason(`redis@sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(unpinnedReason("registry.local:5000/team/app")).toBe(
      "registry.local:5000/team/app has no tag (Docker pulls latest)",
    );
    expect(unpinnedReason("redis:latest")).toBe("redis:latest uses the latest tag");
    expect(unpinnedReason("app:${TAG}")).toBe("app:${TAG} is set from a variable; write the tag in the compose file");
    expect(composeImages("services:\n  a:\n    image: x:1\n  b:\n    build: .\n")).toEqual([
      { service: "a", image: "x:1" },
    ]);
    expect(violations("docker:index/remoteImage:RemoteImage", "img", { name: "portainer/agent:latest" })).toEqual([
      "phoenix-pinned-images: The image portainer/agent:latest uses the latest tag.",
    ]);
    expect(violations("docker:index/remoteImage:RemoteImage", "img", { name: "portainer/agent:2.27.9" })).toEqual([]);
  });

  it("phoenix-portainer-tls-verified: https with verification passes; http or skipped verification fails", () => {
    expect(violations(STACK, "s", stackProps())).toEqual([]);
    expect(violations(STACK, "s", stackProps({ connection: { ...HTTPS, insecureSkipVerify: true } }))).toEqual([
      "phoenix-portainer-tls-verified: It skips TLS verification for https://10.0.0.101:9443: remove " +
        "phoenix:portainer.tls.insecure_skip_verify (Portainer then serves phoenix's certificate, verified against " +
        "phoenix's CA) or pin its CA in phoenix:portainer.tls.ca_cert.",
    ]);
    const admin = { url: "http://10.0.0.101:9000", username: "admin", password: "x".repeat(12) };
    expect(violations("pulumi-nodejs:dynamic/portainer:Admin", "admin", admin)).toEqual([
      "phoenix-portainer-tls-verified: It reaches Portainer at http://10.0.0.101:9000 without TLS: serve Portainer " +
        "over https (phoenix:portainer.url).",
    ]);
  });

  it("phoenix-agent-secret: the server and agents need AGENT_SECRET of 16 characters or more", () => {
    const agent = (envs: string[]) => violations(CONTAINER, "a", { name: "portainer_agent", envs });
    expect(agent([`AGENT_SECRET=${"k".repeat(40)}`])).toEqual([]);
    expect(agent([])).toEqual(["phoenix-agent-secret: Container portainer_agent has no AGENT_SECRET."]);
    expect(violations(CONTAINER, "p", { name: "portainer", envs: ["AGENT_SECRET=short"] })).toEqual([
      "phoenix-agent-secret: Container portainer has an AGENT_SECRET of 5 characters; at least 16 are required.",
    ]);
    expect(violations(CONTAINER, "other", { name: "redis", envs: [] })).toEqual([]);
  });

  it("phoenix-secret-stack-variables: a variable the manifest marks secret must be among the secret ones", () => {
    expect(violations(STACK, "s", stackProps({ secretNames: [] }))).toEqual([
      "phoenix-secret-stack-variables: Stack qdrant_service sends QDRANT_API_KEY as plain values; its manifest marks " +
        "them secret: give them from secret config (pulumi config set --secret).",
    ]);
    expect(violations(STACK, "s", stackProps({ name: "unknown_stack" }))).toEqual([
      `phoenix-secret-stack-variables: Stack unknown_stack has no manifest in ` +
        `${EXAMPLE_STACKS} to check its variables against.`,
    ]);
  });

  it("phoenix-guests-protected: a VM or LXC without Pulumi's protect fails", () => {
    expect(violations(VM, "phoenix-vm-1001", {}, { protect: true })).toEqual([]);
    expect(violations("proxmoxve:index/containerLegacy:ContainerLegacy", "phoenix-lxc-2002", {})).toEqual([
      "phoenix-guests-protected: Guest phoenix-lxc-2002 is not protected: set " +
        "protection: true on it (phoenix:vms or phoenix:lxcs).",
    ]);
  });
});

async function exampleResources(stack: string): Promise<Recorded[]> {
  const raw = decryptStackFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "phoenix-example");
  const r = validateSite(raw, { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return recordResources((opts) => void new Site("phoenix", { config: r.site }, opts), toRuntimeConfig(raw), stack);
}

describe("the example sites through the policies", () => {
  it("prod breaks no rule (Portainer is verified against phoenix's CA); dev breaks none", async () => {
    const prod = await exampleResources("prod");
    const found = prod.flatMap((r) =>
      violations(r.type, r.name, stripSecrets(r.inputs) as Props, { protect: r.options.protect === true }).map(
        (v) => `${r.name}: ${v}`,
      ),
    );
    const portainer = prod.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/portainer:")).map((r) => r.name);
    expect(portainer.length).toBeGreaterThan(3);
    expect(found).toEqual([]);
    const stack = prod.find((r) => r.type === STACK)!;
    expect((stripSecrets(stack.inputs) as Props)["secretNames"]).toEqual(["QDRANT_API_KEY"]);

    // dev reaches Portainer over plain HTTP and protects no guest: judged as prod it would fail; as dev it is not
    // judged.
    const dev = await exampleResources("dev");
    const judged = (stack: string) =>
      dev.flatMap((r) => violations(r.type, r.name, stripSecrets(r.inputs) as Props, {}, stack));
    expect(judged("dev")).toEqual([]);
    expect(judged("prod").length).toBeGreaterThan(0);
  }, 60_000);
});

/** The pack in Pulumi's policy runner (`@pulumi/pulumi/cmd/run-policy-pack`), as the CLI starts it. */
class PolicyRunner {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
  ) {}

  static async start(): Promise<PolicyRunner> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
      cwd: path.join(PROJECT_DIR, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim().split("\n")[0])));
      child.on("exit", (code) => reject(new Error(`policy runner exited ${code}: ${err}`)));
    });
    return new PolicyRunner(child, new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  }

  /** Analyze, as the engine calls it for one resource's inputs (secrets keep their wrapper on the wire). */
  analyze(type: string, name: string, props: Props, stack: string, protect = false) {
    const req = new AnalyzeRequest();
    const opts = new AnalyzerResourceOptions();
    opts.setProtect(protect);
    req.setType(type);
    req.setName(name);
    req.setUrn(urnOf(type, name, stack));
    req.setProperties(Struct.fromJavaScript(props as never));
    req.setOptions(opts);
    return new Promise<{ policy: string; level: number; message: string }[]>((resolve, reject) =>
      this.client.analyze(req, (e, r) => {
        if (e) return reject(e);
        const ds = r.getDiagnosticsList();
        resolve(
          ds.map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() })),
        );
      }),
    );
  }

  close(): void {
    this.client.close();
    this.child.kill();
  }
}

describe("the pack in Pulumi's policy runner", () => {
  let runner: PolicyRunner;
  beforeAll(async () => (runner = await PolicyRunner.start()), 60_000);
  afterAll(() => runner?.close());

  it("type-checks, loads and reports violations as mandatory diagnostics, seeing secret values unwrapped", async () => {
    // As the engine marshals inputs for analyzers: secrets keep their wrapper on the wire.
    const props = stackProps({
      connection: secret({ ...HTTPS, insecureSkipVerify: true }),
      env: secret([{ name: "QDRANT_API_KEY", value: "s3cret" }]),
      secretNames: [],
    });
    const MANDATORY = 1;
    expect(await runner.analyze(STACK, "phoenix-stack-qdrant_service-vm-1002", props, "prod")).toEqual([
      {
        policy: "phoenix-portainer-tls-verified",
        level: MANDATORY,
        message:
          "Production talks to Portainer over HTTPS with the certificate verified.\nIt skips TLS verification for " +
          "https://10.0.0.101:9443: remove phoenix:portainer.tls.insecure_skip_verify (Portainer then serves " +
          "phoenix's certificate, verified against phoenix's CA) or pin its CA in phoenix:portainer.tls.ca_cert.",
      },
      {
        policy: "phoenix-secret-stack-variables",
        level: MANDATORY,
        message:
          "Production keeps every stack variable its manifest marks secret a Pulumi " +
          "secret.\nStack qdrant_service sends " +
          ("QDRANT_API_KEY as plain values; its manifest marks them secret: give " +
            "them from secret config (pulumi config set --secret)."),
      },
    ]);
    expect(await runner.analyze(STACK, "phoenix-stack-qdrant_service-vm-1002", props, "dev")).toEqual([]);
    expect(await runner.analyze(VM, "phoenix-vm-1001", { vmId: 1001 }, "prod", true)).toEqual([]);
  }, 60_000);
});

// The manifests the rule reads are the project's own.
it("reads the project's stacks/ by default", () => {
  expect(fs.existsSync(path.join(PROJECT_DIR, "stacks", "qdrant_service", "phoenix.json"))).toBe(true);
  const defaults = productionPolicies().find((p) => p.name === "phoenix-secret-stack-variables")!;
  const out: string[] = [];
  const args = {
    type: STACK,
    name: "s",
    props: stackProps({ name: "nope" }),
    urn: urnOf(STACK, "s", "prod"),
    opts: {},
  };
  void (defaults.validateResource as (a: never, r: ReportViolation) => void)(args as never, (m) => out.push(m ?? ""));
  expect(out).toEqual([
    `Stack nope has no manifest in ${path.join(PROJECT_DIR, "stacks")} to check its variables against.`,
  ]);
});
