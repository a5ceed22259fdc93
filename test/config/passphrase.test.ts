// Proves: Pulumi passphrase-format secrets round-trip, a wrong passphrase is refused, and the example
// stack files' secrets decrypt with the documented example passphrase ("phoenix-example").
// Does not prove: byte compatibility with the Pulumi CLI (not installable here); the format follows
// pkg/secrets/passphrase and config/crypt.go as recorded in ../shared/pulumi/ENGINELESS.md.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { decryptValue, encryptValue, keyFromSalt, newSalt } from "../../config/passphrase";
import { PROJECT_DIR } from "../helpers/site";

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

  it.each(["dev", "prod"])("decrypts every secret of Pulumi.%s.yaml with the example passphrase", (stack) => {
    const doc = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { encryptionsalt: string; config: Record<string, unknown> };
    const k = keyFromSalt("phoenix-example", doc.encryptionsalt);
    const found: string[] = [];
    const walk = (v: unknown): void => {
      if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (typeof o["secure"] === "string") found.push(decryptValue(k, o["secure"]));
        else Object.values(o).forEach(walk);
      }
    };
    walk(doc.config);
    expect(found.length).toBe(stack === "dev" ? 5 : 4);
    expect(found.every((s) => s.length >= 12)).toBe(true);
  });
});
