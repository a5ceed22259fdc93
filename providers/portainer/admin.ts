/**
 * `PortainerAdmin`: ensures Portainer's first administrator exists. It waits for the API to answer (long
 * only when the container was just started, see {@link waitBudget}), creates the administrator when none
 * exists (sending the setup token Portainer 2.43+ requires, when given), and otherwise verifies that the
 * configured credentials log in. Delete leaves the administrator in place (the API cannot remove the only
 * admin) and says so.
 * Token: `pulumi-nodejs:dynamic/portainer:Admin`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { usersApi } from "./api/users";
import { checkWith, connect, diffWith, note, readResult, stateOf, hostable, type LoginInputs } from "./dynamic";
import { isPortainerError, isRetryable } from "./errors";
import { runtimeProvider } from "./runtime";

export interface PortainerAdminInputs extends LoginInputs {
  /** The one-time setup token of Portainer 2.43+ (printed in its logs). */
  readonly setupToken?: string;
  /** How long to wait for the API to answer after the container started. */
  readonly waitSeconds: number;
  /** When the Portainer container was (re)started, in Unix seconds: the long wait applies only just after. */
  readonly startedAt?: number;
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
  /** When the container was (re)started, in Unix seconds (a `time.Static` triggered by the container's id). */
  readonly startedAt?: pulumi.Input<number>;
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
    startedAt: z.number().int().positive().optional(),
  });
}

/** How long a server that is not starting may take to answer: a refused connection fails within 30 s. */
export const QUICK_WAIT_SECONDS = 20;

/**
 * How long to wait for Portainer to answer: what is left of `waitSeconds` when its container started less
 * than `waitSeconds` ago (this run created or restarted it), otherwise at most {@link QUICK_WAIT_SECONDS}.
 */
export function waitBudget(
  waitSeconds: number,
  startedAt: number | undefined,
  nowSeconds: number,
): { seconds: number; starting: boolean } {
  const since = startedAt === undefined ? Infinity : nowSeconds - startedAt;
  if (since >= 0 && since < waitSeconds) return { seconds: Math.ceil(waitSeconds - since), starting: true };
  return { seconds: Math.min(waitSeconds, QUICK_WAIT_SECONDS), starting: false };
}

/** A transport without credentials, with the setup token when configured: for the public bootstrap routes. */
function publicTransport(inputs: PortainerAdminInputs) {
  return connect(inputs, undefined, inputs.setupToken !== undefined ? { setupToken: inputs.setupToken } : {});
}

/** How often the wait says what it waits for. */
const PROGRESS_EVERY_MS = 10_000;

/**
 * Waits until the server answers as Portainer (its status route, the identity check), then tells whether
 * an administrator exists. Connection failures, timeouts and 5xx answers are waited out within the
 * budget, with a line every 10 s; a server that is not Portainer fails at once.
 */
async function adminExistsWhenUp(inputs: PortainerAdminInputs, t = publicTransport(inputs)): Promise<boolean> {
  const started = Date.now();
  const budget = waitBudget(inputs.waitSeconds, inputs.startedAt, Math.floor(started / 1000));
  const deadline = started + budget.seconds * 1000;
  let lastNote = started;
  for (;;) {
    try {
      await t.version();
      return await usersApi(t).adminExists();
    } catch (e) {
      if (isPortainerError(e) && e.status === 303) {
        throw new Error(
          `Portainer at ${inputs.url} disabled itself because no administrator was ` +
            `created within 5 minutes of its start (AdminInitTimeout); restart the ` +
            `Portainer container, then run pulumi up again`,
        );
      }
      const waited = Math.floor((Date.now() - started) / 1000);
      if (!isRetryable(e) || Date.now() >= deadline) {
        if (!isRetryable(e)) throw e;
        throw new Error(`Portainer at ${inputs.url} did not answer within ${waited} s: ${(e as Error).message}`);
      }
      if (Date.now() - lastNote >= PROGRESS_EVERY_MS) {
        lastNote = Date.now();
        const reason = isPortainerError(e) ? (e.serverMessage ?? e.kind).split(":")[0] : "no answer";
        await note(`Waiting for Portainer at ${inputs.url} to answer (${reason}): ${waited} s of ${budget.seconds} s`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Logs in with the configured credentials; a refusal explains what to fix. */
async function verify(inputs: PortainerAdminInputs): Promise<number> {
  try {
    return (await usersApi(connect(inputs, { username: inputs.username, password: inputs.password })).me()).Id;
  } catch (e) {
    if (isPortainerError(e) && e.status === 422) {
      throw new Error(
        `An administrator already exists on Portainer at ${inputs.url}, but ` +
          `${inputs.username} cannot log in with the configured password ` +
          `(${e.serverMessage}); set the admin username and password to that ` +
          `administrator's`,
      );
    }
    throw e;
  }
}

const provider = hostable<PortainerAdminInputs, PortainerAdminOutputs>({
  async check(_olds, news) {
    return checkWith(
      inputsSchema(),
      news as unknown as Record<string, unknown>,
    ) as pulumi.dynamic.CheckResult<PortainerAdminInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["username", "password", "caCert", "insecureSkipVerify", "startedAt"],
      replace: ["url"],
    });
  },

  async create(inputs) {
    const t = publicTransport(inputs);
    if (!(await adminExistsWhenUp(inputs, t))) {
      let user;
      try {
        user = await usersApi(t).initAdmin(inputs.username, inputs.password);
      } catch (e) {
        if (isPortainerError(e) && e.status === 403 && /setup token/i.test(e.serverMessage ?? "")) {
          throw new Error(
            `Portainer at ${inputs.url} requires its one-time setup token to create ` +
              `the administrator (Portainer 2.43+ prints it in its logs); pass it as ` +
              `setupToken`,
          );
        }
        throw e;
      }
      if (user) {
        await note(`Created Portainer's first administrator ${user.Username} at ${inputs.url}`);
        return { id: String(user.Id), outs: { ...inputs, userId: user.Id, created: true } };
      }
    }
    const userId = await verify(inputs);
    await note(
      `Portainer at ${inputs.url} already has an administrator; ` +
        `${inputs.username} logs in with the configured password`,
    );
    return { id: String(userId), outs: { ...inputs, userId, created: false } };
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer administrator ${id}`);
    const inputs: PortainerAdminInputs = {
      url: props.url,
      caCert: props.caCert,
      insecureSkipVerify: props.insecureSkipVerify,
      username: props.username,
      password: props.password,
      setupToken: props.setupToken,
      waitSeconds: props.waitSeconds,
      startedAt: props.startedAt,
    };
    return (await adminExistsWhenUp({ ...props, waitSeconds: 0 })) ? readResult(id, props, inputs) : {};
  },

  async update(_id, olds, news) {
    // A restarted container (a new startedAt) may still be starting.
    await adminExistsWhenUp(news);
    const userId = await verify(news);
    return { outs: { ...news, userId, created: olds.created } };
  },

  async delete(_id, props) {
    await note(`Portainer's administrator ${props.username} is left in place: the API cannot remove it`);
  },
});

export const adminProvider = provider;
const loader = runtimeProvider<PortainerAdminInputs, PortainerAdminOutputs>("Admin");

/** Portainer's first administrator. */
export class PortainerAdmin extends pulumi.dynamic.Resource {
  declare readonly userId: pulumi.Output<number>;
  declare readonly username: pulumi.Output<string>;
  declare readonly created: pulumi.Output<boolean>;

  constructor(name: string, args: PortainerAdminArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      loader,
      name,
      {
        ...args,
        password: pulumi.secret(args.password),
        ...(args.setupToken !== undefined ? { setupToken: pulumi.secret(args.setupToken) } : {}),
        userId: undefined,
        created: undefined,
      },
      opts,
      "portainer",
      "Admin",
    );
  }
}
