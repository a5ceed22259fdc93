#!/usr/bin/env node
/**
 * Completes package-lock.json with the optional, platform-specific packages that this workplace's npm
 * registry mirror does not serve (it holds only the Linux builds of @unrs/resolver-binding-*, which
 * jest 30's resolver lists). Without their entries `npm ci` refuses the lock ("Missing: ... from lock
 * file"). Each added entry carries the package's `os`/`cpu`, so npm skips it on this platform and
 * never fetches it. Run after `npm install` changes the lock: `node scripts/lock-optional-platforms.js`.
 */
const fs = require("node:fs");
const path = require("node:path");

const PLATFORM = {
  "android-arm-eabi": [["android"], ["arm"]],
  "android-arm64": [["android"], ["arm64"]],
  "darwin-arm64": [["darwin"], ["arm64"]],
  "darwin-x64": [["darwin"], ["x64"]],
  "freebsd-x64": [["freebsd"], ["x64"]],
  "linux-arm-gnueabihf": [["linux"], ["arm"]],
  "linux-arm-musleabihf": [["linux"], ["arm"]],
  "linux-arm64-gnu": [["linux"], ["arm64"]],
  "linux-arm64-musl": [["linux"], ["arm64"]],
  "linux-loong64-gnu": [["linux"], ["loong64"]],
  "linux-loong64-musl": [["linux"], ["loong64"]],
  "linux-ppc64-gnu": [["linux"], ["ppc64"]],
  "linux-riscv64-gnu": [["linux"], ["riscv64"]],
  "linux-riscv64-musl": [["linux"], ["riscv64"]],
  "linux-s390x-gnu": [["linux"], ["s390x"]],
  "linux-x64-gnu": [["linux"], ["x64"]],
  "linux-x64-musl": [["linux"], ["x64"]],
  "openharmony-arm64": [["openharmony"], ["arm64"]],
  "wasm32-wasi": [[], ["wasm32"]],
  "win32-arm64-msvc": [["win32"], ["arm64"]],
  "win32-ia32-msvc": [["win32"], ["ia32"]],
  "win32-x64-msvc": [["win32"], ["x64"]],
};

const file = path.resolve(__dirname, "..", "package-lock.json");
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = /^@unrs\/resolver-binding-(.+)$/.exec(name);
    if (!m) continue;
    const where = `${key.slice(0, key.lastIndexOf("node_modules/"))}node_modules/${name}`.replace(/^\/+/, "");
    if (lock.packages[where]) continue;
    const [os, cpu] = PLATFORM[m[1]] ?? [undefined, undefined];
    if (!os) throw new Error(`unknown platform for ${name}: add it to PLATFORM`);
    lock.packages[where] = {
      version,
      ...(cpu.length ? { cpu } : {}),
      dev: entry.dev,
      license: "MIT",
      optional: true,
      ...(os.length ? { os } : {}),
    };
    added++;
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
process.stdout.write(`lock-optional-platforms: added ${added} entr${added === 1 ? "y" : "ies"}\n`);
