/**
 * `PortainerAdmin`: ensures Portainer's first administrator exists. It waits for the API to answer,
 * creates the administrator when none exists (sending the setup token Portainer 2.43+ requires, when
 * given), and otherwise verifies that the configured credentials log in. Delete leaves the
 * administrator in place (the API cannot remove the only admin) and says so.
 * Token: `pulumi-nodejs:dynamic/portainer:Admin`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { usersApi } from "./api/users";
import { checkWith, connect, diffWith, note, readResult, stateOf, hostable, type LoginInputs } from "./dynamic";
import { isPortainerError, isRetryable } from "./errors";

export interface PortainerAdminInputs extends LoginInputs {
  /** The one-time setup token of Portainer 2.43+ (printed in its logs). */
  readonly setupToken?: string;
  /** How long to wait for the API to answer after the container started. */
  readonly waitSeconds: number;
}

export interface PortainerAdminOutputs extends PortainerAdminInputs {
  readonly userId: number;
  /** True when this resource created the administrator, false when it found one. */
  readonly created: boolean;
}

export interface PortainerAdminArgs {
  readonly url: pulumi.Input<string>;
  readonly caCert?: pulumi.Input<string>;
  readonly insecureSkipVerify?: pulumi.Input<boolean>;
  readonly username: pulumi.Input<string>;
  /** At least 12 characters (Portainer's minimum). Stored as a secret. */
  readonly password: pulumi.Input<string>;
  /** Stored as a secret. */
  readonly setupToken?: pulumi.Input<string>;
  /** Defaults to 300. */
  readonly waitSeconds?: pulumi.Input<number>;
}

function inputsSchema() {
  return z.object({
    url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
    caCert: z.string().optional(),
    insecureSkipVerify: z.boolean().optional(),
    username: z.string().regex(/^\S+$/, "must be a non-empty user name without whitespace"),
    password: z.string().min(12, "must be at least 12 characters (Portainer's minimum)"),
    setupToken: z.string().optional(),
    waitSeconds: z.number().int().min(0).default(300),
  });
}

/** Waits until Portainer answers; the container may still be starting. */
async function adminExistsWhenUp(inputs: PortainerAdminInputs): Promise<boolean> {
  const users = usersApi(connect(inputs, undefined, inputs.setupToken !== undefined ? { setupToken: inputs.setupToken } : {}));
  const deadline = Date.now() + inputs.waitSeconds * 1000;
  for (;;) {
    try {
      return await users.adminExists();
    } catch (e) {
      if (isPortainerError(e) && e.status === 303) {
        throw new Error(`Portainer at ${inputs.url} disabled itself because no administrator was created within 5 minutes of its start (AdminInitTimeout); restart the Portainer container, then run pulumi up again`);
      }
      if (!isRetryable(e) || Date.now() >= deadline) throw new Error(`Portainer at ${inputs.url} did not answer within ${inputs.waitSeconds} s: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Logs in with the configured credentials; a refusal explains what to fix. */
async function verify(inputs: PortainerAdminInputs): Promise<number> {
  try {
    return (await usersApi(connect(inputs, { username: inputs.username, password: inputs.password })).me()).Id;
  } catch (e) {
    if (isPortainerError(e) && e.status === 422) {
      throw new Error(`An administrator already exists on Portainer at ${inputs.url}, but ${inputs.username} cannot log in with the configured password (${e.serverMessage}); set the admin username and password to that administrator's`);
    }
    throw e;
  }
}

const provider = hostable<PortainerAdminInputs, PortainerAdminOutputs>({
  async check(_olds, news) {
    return checkWith(inputsSchema(), news as unknown as Record<string, unknown>) as pulumi.dynamic.CheckResult<PortainerAdminInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, { update: ["username", "password", "caCert", "insecureSkipVerify"], replace: ["url"] });
  },

  async create(inputs) {
    if (!(await adminExistsWhenUp(inputs))) {
      let user;
      try {
        user = await usersApi(connect(inputs, undefined, inputs.setupToken !== undefined ? { setupToken: inputs.setupToken } : {})).initAdmin(inputs.username, inputs.password);
      } catch (e) {
        if (isPortainerError(e) && e.status === 403 && /setup token/i.test(e.serverMessage ?? "")) {
          throw new Error(`Portainer at ${inputs.url} requires its one-time setup token to create the administrator (Portainer 2.43+ prints it in its logs); pass it as setupToken`);
        }
        throw e;
      }
      if (user) {
        await note(`Created Portainer's first administrator ${user.Username} at ${inputs.url}`);
        return { id: String(user.Id), outs: { ...inputs, userId: user.Id, created: true } };
      }
    }
    const userId = await verify(inputs);
    await note(`Portainer at ${inputs.url} already has an administrator; ${inputs.username} logs in with the configured password`);
    return { id: String(userId), outs: { ...inputs, userId, created: false } };
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer administrator ${id}`);
    const inputs: PortainerAdminInputs = { url: props.url, caCert: props.caCert, insecureSkipVerify: props.insecureSkipVerify, username: props.username, password: props.password, setupToken: props.setupToken, waitSeconds: props.waitSeconds };
    return (await adminExistsWhenUp({ ...props, waitSeconds: 0 })) ? readResult(id, props, inputs) : {};
  },

  async update(_id, olds, news) {
    const userId = await verify(news);
    return { outs: { ...news, userId, created: olds.created } };
  },

  async delete(_id, props) {
    await note(`Portainer's administrator ${props.username} is left in place: the API cannot remove it`);
  },
});

export const adminProvider = provider;

/** Portainer's first administrator. */
export class PortainerAdmin extends pulumi.dynamic.Resource {
  declare readonly userId: pulumi.Output<number>;
  declare readonly username: pulumi.Output<string>;
  declare readonly created: pulumi.Output<boolean>;

  constructor(name: string, args: PortainerAdminArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, {
      ...args,
      password: pulumi.secret(args.password),
      ...(args.setupToken !== undefined ? { setupToken: pulumi.secret(args.setupToken) } : {}),
      userId: undefined,
      created: undefined,
    }, opts, "portainer", "Admin");
  }
}
