// Proves: Pulumi passphrase-format secrets round-trip, and a wrong passphrase or a tampered value is
// refused. (The example stack files decrypt with "phoenix-example": test/config/sources.test.ts.)
// Does not prove: byte compatibility with the Pulumi CLI (not installable here); the format follows
// pkg/secrets/passphrase and config/crypt.go as recorded in ../shared/pulumi/ENGINELESS.md.
import { decryptValue, encryptValue, keyFromSalt, newSalt } from "../../config/passphrase";

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
