// Proves: PortainerAdmin creates the first administrator, verifies credentials on an initialised server,
// explains wrong credentials, the admin-init timeout and a missing 2.43 setup token, waits for the API,
// and leaves the administrator in place on delete — against the fake.
import {
  adminProvider as provider,
  QUICK_WAIT_SECONDS,
  waitBudget,
  type PortainerAdminInputs,
  type PortainerAdminOutputs,
} from "../../../providers/portainer/admin";
import { startFakePortainer, type FakePortainer } from "../../fakes/portainer/server";
import { ADMIN, bootstrap } from "../../helpers/portainer";

let fake: FakePortainer;
afterEach(async () => fake?.close());
const inputs = (extra: Partial<PortainerAdminInputs> = {}): PortainerAdminInputs => ({
  url: fake.url,
  username: ADMIN.username,
  password: ADMIN.password,
  waitSeconds: 0,
  ...extra,
});

describe("PortainerAdmin", () => {
  it("creates the first administrator without logging in", async () => {
    fake = await startFakePortainer();
    const r = await provider.create(inputs());
    expect(r).toEqual({ id: "1", outs: { ...inputs(), userId: 1, created: true } });
    expect(fake.requests.map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([
      "GET /api/system/status 200",
      "GET /api/users/admin/check 404",
      "POST /api/users/admin/init 200",
    ]);
  });

  it("verifies the credentials of an existing administrator", async () => {
    fake = await startFakePortainer();
    await bootstrap(fake);
    const r = await provider.create(inputs());
    expect(r.outs).toMatchObject({ userId: 1, created: false });
  });

  it("explains credentials that do not log in", async () => {
    fake = await startFakePortainer();
    await bootstrap(fake);
    await expect(provider.create(inputs({ password: "another-long-password" }))).rejects.toThrow(
      `An administrator already exists on Portainer at ${fake.url}, but admin ` +
        `cannot log in with the configured password (Invalid credentials); set ` +
        `the admin username and password to that administrator's`,
    );
  });

  it("explains the admin-init timeout", async () => {
    let t = 0;
    fake = await startFakePortainer({ now: () => t });
    t = 301_000;
    await expect(provider.create(inputs())).rejects.toThrow(
      `Portainer at ${fake.url} disabled itself because no administrator was ` +
        `created within 5 minutes of its start (AdminInitTimeout); restart the ` +
        `Portainer container, then run pulumi up again`,
    );
  });

  it("sends the 2.43 setup token, and explains a missing one", async () => {
    fake = await startFakePortainer({ version: "2.43.0" });
    await expect(provider.create(inputs())).rejects.toThrow(
      `Portainer at ${fake.url} requires its one-time setup token to create the ` +
        `administrator (Portainer 2.43+ prints it in its logs); pass it as ` +
        `setupToken`,
    );
    expect((await provider.create(inputs({ setupToken: fake.setupToken! }))).outs).toMatchObject({ created: true });
  });

  it("gives up on an API that does not answer, after the wait", async () => {
    fake = await startFakePortainer();
    const url = fake.url;
    await fake.close();
    fake = await startFakePortainer();
    await expect(provider.create({ url, username: "admin", password: ADMIN.password, waitSeconds: 0 })).rejects.toThrow(
      new RegExp(
        `^Portainer at ${url} did not answer within [01] s: Unable to verify ` +
          `Portainer server ${url}: ECONNREFUSED: .*; no credential was sent$`,
      ),
    );
  });

  it("reads the administrator as present, or gone after a reset; delete leaves it in place", async () => {
    fake = await startFakePortainer();
    const outs = (await provider.create(inputs())).outs as PortainerAdminOutputs;
    expect((await provider.read!("1", outs)).id).toBe("1");
    await provider.delete!("1", outs);
    expect(fake.state.users).toHaveLength(1);
    fake.state.users.splice(0);
    expect(await provider.read!("1", outs)).toEqual({});
  });

  it("checks the password length and the user name", async () => {
    fake = await startFakePortainer();
    const r = await provider.check!(
      {} as PortainerAdminInputs,
      { url: fake.url, username: "the admin", password: "short" } as never,
    );
    expect(r.failures).toEqual([
      { property: "username", reason: "must be a non-empty user name without whitespace" },
      { property: "password", reason: "must be at least 12 characters (Portainer's minimum)" },
    ]);
  });
});

describe("waitBudget", () => {
  it.each([
    ["a container started 5 s ago", 300, 1_000_000 - 5, { seconds: 295, starting: true }],
    ["a container started 400 s ago", 300, 1_000_000 - 400, { seconds: QUICK_WAIT_SECONDS, starting: false }],
    [
      "no start time (a site from before it was recorded)",
      300,
      undefined,
      { seconds: QUICK_WAIT_SECONDS, starting: false },
    ],
    ["a start time in the future (clock skew)", 300, 1_000_000 + 60, { seconds: QUICK_WAIT_SECONDS, starting: false }],
    ["no wait at all (refresh)", 0, 1_000_000 - 5, { seconds: 0, starting: false }],
  ])("waits for %s", (_what, waitSeconds, startedAt, expected) =>
    expect(waitBudget(waitSeconds, startedAt, 1_000_000)).toEqual(expected),
  );
});
