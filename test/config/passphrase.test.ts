// Proves: Pulumi passphrase-format secrets round-trip, and a wrong passphrase or a tampered value is
// refused; the passphrase is found as the CLI finds it (the variable, even empty, then the file). (The example stack
// files decrypt with "phoenix-example": test/config/sources.test.ts.)
// Does not prove: byte compatibility with the Pulumi CLI (not installable here); the format follows
// pkg/secrets/passphrase and config/crypt.go as recorded in ../shared/pulumi/ENGINELESS.md.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decryptValue, encryptValue, keyFromSalt, newSalt, passphraseFromEnv } from "../../config/passphrase";

describe("passphrase secrets", () => {
  // One derivation (1,000,000 PBKDF2 rounds, about a second) shared by the tests.
  const { encryptionSalt, key } = newSalt("correct horse");

  it("round-trips a value and uses a fresh nonce each time", () => {
    const a = encryptValue(key, "s3cret value");
    const b = encryptValue(key, "s3cret value");
    expect(a).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(decryptValue(key, a)).toBe("s3cret value");
  });

  it("derives the same key from the salt with the right passphrase", () => {
    expect(keyFromSalt("correct horse", encryptionSalt).equals(key)).toBe(true);
  });

  it("refuses a wrong passphrase", () => {
    expect(() => keyFromSalt("wrong horse", encryptionSalt)).toThrow("incorrect passphrase");
  });

  it("refuses a tampered value", () => {
    const v = encryptValue(key, "x");
    const tampered = v.slice(0, -4) + (v.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect(() => decryptValue(key, tampered)).toThrow();
  });
});

describe("passphraseFromEnv", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-passphrase-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "pass.txt"), "  from-the-file\n");

  it.each<[string, NodeJS.ProcessEnv, string | undefined]>([
    ["the variable", { PULUMI_CONFIG_PASSPHRASE: "direct" }, "direct"],
    ["the variable set to the empty string (Pulumi accepts it)", { PULUMI_CONFIG_PASSPHRASE: "" }, ""],
    [
      "the variable over the file",
      { PULUMI_CONFIG_PASSPHRASE: "direct", PULUMI_CONFIG_PASSPHRASE_FILE: "pass.txt" },
      "direct",
    ],
    [
      "the file, relative to the working directory, trimmed",
      { PULUMI_CONFIG_PASSPHRASE_FILE: "pass.txt" },
      "from-the-file",
    ],
    ["an empty file variable: none", { PULUMI_CONFIG_PASSPHRASE_FILE: "" }, undefined],
    ["neither: none", {}, undefined],
  ])("reads %s", (_what, env, expected) => expect(passphraseFromEnv(env, dir)).toBe(expected));

  it("names the file it cannot read", () => {
    expect(() => passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "missing.txt" }, dir)).toThrow(
      /^unable to read PULUMI_CONFIG_PASSPHRASE_FILE: ENOENT: no such file or directory, open '.*missing\.txt'$/,
    );
  });
});
