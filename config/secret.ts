import { inspect } from "node:util";

/**
 * A secret configuration value. It never prints: `String()`, `JSON.stringify` and
 * `util.inspect` all render `[secret]`.
 *
 * Two kinds exist:
 * - a decrypted value (the Pulumi runtime hands the program decrypted config), readable with {@link reveal};
 * - an encrypted value read from a stack file by `npm run plan`, which never decrypts: it only
 *   proves the secret is present.
 */
export class Secret {
  private constructor(
    private readonly value: string | undefined,
    /** Where the value came from, e.g. `phoenix:proxmox.api_token`. */
    readonly source: string,
  ) {}

  /** A secret whose plain value is known (from the Pulumi runtime or a decrypted stack file). */
  static of(value: string, source: string): Secret {
    return new Secret(value, source);
  }

  /** A secret that is present in a stack file but was not decrypted. */
  static encrypted(source: string): Secret {
    return new Secret(undefined, source);
  }

  /** True when the plain value is available. */
  get isDecrypted(): boolean {
    return this.value !== undefined;
  }

  /** The plain value. Throws when the secret was never decrypted. */
  reveal(): string {
    if (this.value === undefined) {
      throw new Error(`The secret ${this.source} is encrypted and was not decrypted`);
    }
    return this.value;
  }

  toString(): string {
    return "[secret]";
  }

  toJSON(): string {
    return "[secret]";
  }

  [inspect.custom](): string {
    return "[secret]";
  }
}

/** The mask printed wherever a secret value would be. */
export const SECRET_MASK = "[secret]";
