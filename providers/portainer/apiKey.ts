/**
 * `PortainerApiKey`: an API key for the administrator, created with a password login (Portainer
 * accepts API-key creation only with a JWT and the password again). The raw key is an output marked
 * secret. Exactly one key with its description is left: keys with the same description left by an earlier,
 * interrupted run are revoked before the create and after it (an abandoned request can land late), and
 * `read` reports any that land later still as `duplicates`, which the next update revokes. `read` finds a
 * revoked key gone; delete revokes it.
 * Token: `pulumi-nodejs:dynamic/portainer:ApiKey`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { usersApi } from "./api/users";
import { checkWith, connect, diffWith, note, readResult, stateOf, hostable, type LoginInputs } from "./dynamic";
import { isAuthError, isNotFound } from "./errors";
import { runtimeProvider } from "./runtime";

export interface PortainerApiKeyInputs extends LoginInputs {
  readonly description: string;
  /** Revoke keys with the same description (left by an interrupted run) instead of failing. */
  readonly adopt: boolean;
}

export interface PortainerApiKeyOutputs extends PortainerApiKeyInputs {
  readonly userId: number;
  readonly keyId: number;
  /** The key's first 7 characters, as Portainer lists it. */
  readonly prefix: string;
  /** The raw key: a secret. */
  readonly apiKey: string;
  /** Ids of other keys with the same description, found by `read`; the next update revokes them. */
  readonly duplicates?: readonly number[];
}

export interface PortainerApiKeyArgs {
  readonly url: pulumi.Input<string>;
  readonly caCert?: pulumi.Input<string>;
  readonly insecureSkipVerify?: pulumi.Input<boolean>;
  readonly username: pulumi.Input<string>;
  /** Stored as a secret. */
  readonly password: pulumi.Input<string>;
  /** Defaults to "phoenix". */
  readonly description?: pulumi.Input<string>;
  /** Defaults to true. */
  readonly adopt?: pulumi.Input<boolean>;
}

function keyClient(p: PortainerApiKeyOutputs) {
  return usersApi(connect(p, { apiKey: p.apiKey }));
}

/** Revokes keys by id (one already gone counts as revoked) and says so. */
async function revoke(
  users: ReturnType<typeof usersApi>,
  userId: number,
  ids: readonly number[],
  description: string,
  why: string,
): Promise<void> {
  for (const k of ids) {
    try {
      await users.deleteApiKey(userId, k);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  await note(`Revoked ${ids.length} Portainer API key(s) named ${description} ${why} (ids ${ids.join(", ")})`);
}

const provider = hostable<PortainerApiKeyInputs, PortainerApiKeyOutputs>({
  async check(_olds, news) {
    const schema = z.object({
      url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
      caCert: z.string().optional(),
      insecureSkipVerify: z.boolean().optional(),
      username: z.string().min(1),
      password: z.string().min(1),
      description: z
        .string()
        .min(1)
        .max(127, "must be shorter than 128 characters (Portainer's limit)")
        .default("phoenix"),
      adopt: z.boolean().default(true),
    });
    return checkWith(
      schema,
      news as unknown as Record<string, unknown>,
    ) as pulumi.dynamic.CheckResult<PortainerApiKeyInputs>;
  },

  async diff(_id, olds, news) {
    const d = diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["caCert", "insecureSkipVerify"],
      replace: ["url", "username", "description"],
    });
    // Keys with this description other than ours (found by refresh) are revoked by an update.
    return (olds.duplicates ?? []).length > 0 && !d.changes ? { ...d, changes: true } : d;
  },

  async create(inputs) {
    const users = usersApi(connect(inputs, { username: inputs.username, password: inputs.password }));
    const me = await users.me();
    const stale = (await users.listApiKeys(me.Id)).filter((k) => k.description === inputs.description);
    if (stale.length > 0) {
      if (!inputs.adopt)
        throw new Error(
          `Portainer user ${inputs.username} already has API key(s) named ` +
            `${inputs.description} (ids ${stale.map((k) => k.id).join(", ")}); set ` +
            `adopt: true to replace them, or revoke them`,
        );
      await revoke(
        users,
        me.Id,
        stale.map((k) => k.id),
        inputs.description,
        "before creating a new one",
      );
    }
    const created = await users.createApiKey(me.Id, inputs.description, inputs.password);
    // A request abandoned by an earlier run (timed out, or the run killed) may have landed meanwhile.
    const late = (await users.listApiKeys(me.Id)).filter(
      (k) => k.description === inputs.description && k.id !== created.apiKey.id,
    );
    if (late.length > 0)
      await revoke(
        users,
        me.Id,
        late.map((k) => k.id),
        inputs.description,
        "that an abandoned request created",
      );
    return {
      id: String(created.apiKey.id),
      outs: {
        ...inputs,
        userId: me.Id,
        keyId: created.apiKey.id,
        prefix: created.apiKey.prefix,
        apiKey: created.rawAPIKey,
        duplicates: [],
      },
    };
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer API key ${id}`);
    try {
      const keys = await keyClient(props).listApiKeys(props.userId);
      const inputs: PortainerApiKeyInputs = {
        url: props.url,
        caCert: props.caCert,
        insecureSkipVerify: props.insecureSkipVerify,
        username: props.username,
        password: props.password,
        description: props.description,
        adopt: props.adopt,
      };
      if (!keys.some((k) => k.id === Number(id))) return {};
      const duplicates = keys
        .filter((k) => k.description === props.description && k.id !== Number(id))
        .map((k) => k.id);
      return readResult(id, { ...props, duplicates }, inputs);
    } catch (e) {
      // A revoked key no longer authenticates: Portainer answers 401.
      if (isAuthError(e) || isNotFound(e)) return {};
      throw e;
    }
  },

  async update(_id, olds, news) {
    const duplicates = olds.duplicates ?? [];
    if (duplicates.length > 0)
      await revoke(keyClient(olds), olds.userId, duplicates, olds.description, "besides the one phoenix uses");
    return {
      outs: {
        ...news,
        userId: olds.userId,
        keyId: olds.keyId,
        prefix: olds.prefix,
        apiKey: olds.apiKey,
        duplicates: [],
      },
    };
  },

  async delete(id, props) {
    try {
      await keyClient(props).deleteApiKey(props.userId, Number(id));
    } catch (e) {
      if (!isNotFound(e) && !isAuthError(e)) throw e;
      await note(`Portainer API key ${props.prefix}... (id ${id}) was already revoked`);
    }
  },
});

export const apiKeyProvider = provider;
const loader = runtimeProvider<PortainerApiKeyInputs, PortainerApiKeyOutputs>("ApiKey");

/** An API key for Portainer's administrator; `apiKey` is a secret output. */
export class PortainerApiKey extends pulumi.dynamic.Resource {
  declare readonly apiKey: pulumi.Output<string>;
  declare readonly keyId: pulumi.Output<number>;
  declare readonly userId: pulumi.Output<number>;

  constructor(name: string, args: PortainerApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      loader,
      name,
      {
        ...args,
        password: pulumi.secret(args.password),
        ...{ userId: undefined, keyId: undefined, prefix: undefined, apiKey: undefined, duplicates: undefined },
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "apiKey"] },
      "portainer",
      "ApiKey",
    );
  }
}
