// Proves: `npm run fake-portainer` parses its options, starts the fake on a free port, prints its URL,
// answers the status probe with the requested version, stops on SIGTERM, and fails on a taken port
// with one line and no stack trace.
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { parseArgs } from "../../cli/fake-portainer";
import { PROJECT_DIR } from "../helpers/site";

describe("fake-portainer", () => {
  it.each([
    [["--port", "9000", "--version", "2.21.4"], { port: 9000, version: "2.21.4" }],
    [
      ["--state", "/tmp/x.json", "--admin-timeout", "0", "--no-rate-limit"],
      { stateFile: "/tmp/x.json", adminInitTimeoutMs: 0, rateLimit: false },
    ],
    [["--port", "70000"], { error: expect.stringMatching(/^--port must be 0-65535\n/) }],
    [["--version", "latest"], { error: expect.stringMatching(/^--version must look like 2\.27\.9\n/) }],
    [["--verbose"], { error: expect.stringMatching(/^unknown argument --verbose\n/) }],
  ])("parses %j", (argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });

  it("starts, prints its URL and serves the requested version", async () => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "cli/fake-portainer.ts"), "--version", "2.21.4"],
      { cwd: PROJECT_DIR },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => resolve(d.toString().trim()));
        child.on("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const status = (await (await fetch(`${url}/api/system/status`)).json()) as { Version: string };
      expect(status.Version).toBe("2.21.4");
    } finally {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("fails with one line and no stack trace when its port is taken", async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(
        process.execPath,
        [
          "-r",
          "ts-node/register/transpile-only",
          path.join(PROJECT_DIR, "cli/fake-portainer.ts"),
          "--port",
          String(port),
        ],
        { cwd: PROJECT_DIR },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((resolve) => child.on("exit", resolve));
      expect([code, stderr]).toEqual([
        1,
        `fake-portainer: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`,
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
