// Proves: `npm run lab -- up --stack dev --guests real` (the example dev site, docker_source: debian) boots its
// VM and LXC as real Debian 12 systems, runs every setup command over SSH with the configured keys (the
// cloud-init user on the VM, root on the LXC), ends with Docker active on both and their health steps
// passed, and prints where each guest is; a second up runs nothing; an application script added runs, and
// runs again when it changes, and nothing else runs; destroy removes the guests and the
// lab's network. Docker and Portainer resources stay simulated (no image can be pulled here), and Portainer
// is the built-in fake. Does not prove: anything about Proxmox, whose guests these containers stand in for.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LabDriver } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";
import { engine, type Engine } from "./harness";

let e: Engine;
let dir: string;
let driver: LabDriver;
beforeAll(() => {
  e = engine();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lab-real-"));
  // Lab commands run in a driver process: the program is loaded afresh for each, as by npm run lab.
  driver = new LabDriver();
});
afterAll(() => {
  driver?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function lab(args: string[]): Promise<{ code: number; out: string[] }> {
  const r = await driver.run([...args, "--stack", "dev", "--guests", "real", "--state", path.join(dir, "dev.json")], {
    PULUMI_CONFIG_PASSPHRASE: "phoenix-example",
  });
  return { code: r.code, out: r.out };
}
const docker = (...args: string[]) =>
  execFileSync("docker", ["-H", e.dockerHost, ...args], { encoding: "utf8" }).trim();

describe("npm run lab -- up --guests real", () => {
  it("sets the dev site's guests up for real, then destroy leaves no guest and no network", async () => {
    const up = await lab(["up"]);
    process.stdout.write(
      `lab up --guests real:\n${up.out.filter((l) => l.startsWith("guests:") || l.startsWith("up ")).join("\n")}\n`,
    );
    expect(up.code).toBe(0);
    expect(up.out.at(-1)).toMatch(/^up dev: 30 create; done in [\d.]+ s/);
    expect(
      up.out.filter((l) => /^guests: phoenix-lab-dev-\d+: /.test(l)).map((l) => l.replace(/ is \S+ here.*/, "")),
    ).toEqual(["guests: phoenix-lab-dev-2001: 10.0.0.201", "guests: phoenix-lab-dev-2002: 10.0.0.202"]);
    // Every setup step ran over SSH: base_setup, docker and health on both guests.
    expect(
      up.out
        .filter((l) => / ssh \S+@10\.0\.0\.20[12] /.test(l))
        .map((l) => l.split(":")[1]!.trim())
        .sort(),
    ).toEqual([
      "phoenix-lxc-2002-setup-base",
      "phoenix-lxc-2002-setup-docker",
      "phoenix-lxc-2002-setup-health",
      // Portainer's certificate from phoenix's CA, written to its guest.
      "phoenix-portainer-certificates",
      "phoenix-vm-2001-setup-base",
      "phoenix-vm-2001-setup-docker",
      "phoenix-vm-2001-setup-health",
    ]);
    for (const id of [2001, 2002])
      expect(docker("exec", `phoenix-lab-dev-${id}`, "systemctl", "is-active", "docker")).toBe("active");
    expect(docker("exec", "phoenix-lab-dev-2001", "id", "-un", "phoenix_user")).toBe("phoenix_user");

    const again = await lab(["up"]);
    expect([again.code, again.out.at(-1)]).toEqual([0, expect.stringMatching(/^up dev: 30 same;/)]);
    expect(again.out.filter((l) => /: ssh \S+@/.test(l))).toEqual([]);

    // An application script added runs once after the features; changed, it runs again; the others do not.
    const withScript = (greeting: string) => {
      const file = path.join(dir, `Pulumi.dev-${greeting}.yaml`);
      const text = fs
        .readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")
        .replace(
          "      portainer_role: agent\n",
          `      portainer_role: agent\n      setup_scripts:\n        - { name: ` +
            `marker, source: test/fixtures/setup/write-marker.sh, env: { GREETING: ` +
            `${greeting}, APP_TOKEN: x } }\n`,
        );
      fs.writeFileSync(file, text);
      return file;
    };
    for (const greeting of ["hi", "hello"]) {
      const r = await lab(["up", "--stack-file", withScript(greeting)]);
      expect([r.code, r.out.filter((l) => /: ssh \S+@/.test(l)).map((l) => l.split(":")[1]!.trim())]).toEqual([
        0,
        ["phoenix-lxc-2002-setup-script-marker"],
      ]);
    }
    expect(docker("exec", "phoenix-lab-dev-2002", "cat", "/tmp/phoenix-setup-scripts.log")).toBe(
      "root hi token-length=1\nroot hello token-length=1",
    );

    const destroy = await lab(["destroy"]);
    expect([destroy.code, destroy.out.at(-1)]).toEqual([0, expect.stringMatching(/^destroy dev: 31 delete;/)]);
    expect(docker("ps", "-aq", "--filter", "label=phoenix.lab=dev")).toBe("");
    expect(docker("network", "ls", "-q", "--filter", "name=phoenix-lab-dev")).toBe("");
  }, 900_000);
});
