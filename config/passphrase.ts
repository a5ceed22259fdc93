/**
 * Pulumi's passphrase secrets provider, read and written with Node's crypto (no CLI):
 * - `encryptionsalt: v1:<base64 salt>:v1:<base64 nonce>:<base64 ciphertext>`; the second part is the
 *   string `pulumi` encrypted with the derived key, used to check the passphrase;
 * - key = PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes);
 * - each `secure:` value is `v1:<base64 12-byte nonce>:<base64 ciphertext + 16-byte GCM tag>` (AES-256-GCM).
 * Source: pkg/secrets/passphrase/manager.go and sdk/go/common/resource/config/crypt.go, as measured in
 * ../shared/pulumi/ENGINELESS.md.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const ITERATIONS = 1_000_000;

/** A wrong passphrase, or a value that is not Pulumi's `v1:` format. */
export class PassphraseError extends Error {}

/** Derives the AES key from a passphrase and the stack's `encryptionsalt`, checking the passphrase. */
export function keyFromSalt(passphrase: string, encryptionSalt: string): Buffer {
  const m = /^v1:([A-Za-z0-9+/=]+):(v1:.+)$/.exec(encryptionSalt);
  if (!m) throw new PassphraseError("encryptionsalt is not in Pulumi's v1 format");
  const key = crypto.pbkdf2Sync(passphrase, Buffer.from(m[1]!, "base64"), ITERATIONS, 32, "sha256");
  let check: string;
  try {
    check = decryptValue(key, m[2]!);
  } catch {
    throw new PassphraseError("incorrect passphrase");
  }
  if (check !== "pulumi") throw new PassphraseError("incorrect passphrase");
  return key;
}

/** Makes a new `encryptionsalt` for a passphrase; returns it with the derived key. */
export function newSalt(passphrase: string): { encryptionSalt: string; key: Buffer } {
  const salt = crypto.randomBytes(8);
  const key = crypto.pbkdf2Sync(passphrase, salt, ITERATIONS, 32, "sha256");
  return { encryptionSalt: `v1:${salt.toString("base64")}:${encryptValue(key, "pulumi")}`, key };
}

/** Encrypts one value as Pulumi writes it after `secure:`. */
export function encryptValue(key: Buffer, plaintext: string): string {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${body.toString("base64")}`;
}

/** Decrypts one `secure:` value. */
export function decryptValue(key: Buffer, ciphertext: string): string {
  const m = /^v1:([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(ciphertext);
  if (!m) throw new PassphraseError("secure value is not in Pulumi's v1 format");
  const nonce = Buffer.from(m[1]!, "base64");
  const body = Buffer.from(m[2]!, "base64");
  if (body.length < 16) throw new PassphraseError("secure value is too short");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString("utf8");
}

/**
 * The passphrase as the Pulumi CLI finds it (pkg/secrets/passphrase, readPassphrase):
 * `PULUMI_CONFIG_PASSPHRASE` when it is set, even to the empty string; otherwise the contents of the file
 * `PULUMI_CONFIG_PASSPHRASE_FILE` names (relative to `cwd`), trimmed of surrounding whitespace; otherwise none.
 */
export function passphraseFromEnv(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const direct = env["PULUMI_CONFIG_PASSPHRASE"];
  if (direct !== undefined) return direct;
  const file = env["PULUMI_CONFIG_PASSPHRASE_FILE"];
  if (file === undefined || file === "") return undefined;
  try {
    return fs.readFileSync(path.resolve(cwd, file), "utf8").trim();
  } catch (e) {
    throw new PassphraseError(`unable to read PULUMI_CONFIG_PASSPHRASE_FILE: ${(e as Error).message}`);
  }
}
