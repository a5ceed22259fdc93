/** Admin bootstrap, the current user and API keys (CONTRACT.md 2, 3). */
import { isNotFound, portainerError } from "../errors";
import { compareVersions, type Transport } from "../transport";
import { listOf, userSchemas, type ApiKey, type ApiKeyCreated, type User } from "../wire";

export function usersApi(t: Transport) {
  const s = userSchemas();

  /** True when an administrator exists (`204`), false when none does (`404`). */
  const adminExists = async (): Promise<boolean> => {
    try {
      await t.send({
        method: "GET",
        path: "/users/admin/check",
        auth: "none",
        op: { action: "check", resource: "administrator" },
        ok: [204],
        retry: "idempotent",
        unversioned: true,
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  };

  return {
    adminExists,

    /**
     * Creates the first administrator. Not idempotent (a second call is 409): a lost answer is checked
     * with {@link adminExists} before any retry, and `null` then means an administrator exists now but
     * this call cannot tell who made it. Sends `X-Setup-Token` when configured (2.43+).
     */
    initAdmin: (username: string, password: string): Promise<User | null> =>
      t.send<User | null>({
        method: "POST",
        path: "/users/admin/init",
        auth: "none",
        op: { action: "initialise", resource: "administrator", id: username },
        json: { Username: username, Password: password },
        ...(t.options.setupToken !== undefined ? { headers: { "X-Setup-Token": t.options.setupToken } } : {}),
        ok: [200],
        parse: (b) => s.user.parse(b),
        unversioned: true,
        sendsSecret: true,
        retry: { alreadyDone: async () => ((await adminExists()) ? null : undefined) },
      }),

    /** The authenticated user (`GET /api/users/me`, 2.20+; from the JWT's claims on 2.19). */
    me: async (): Promise<User> => {
      if (compareVersions(await t.version(), "2.20.0") < 0) {
        if (!t.jwt()) await t.login();
        const token = t.jwt();
        if (!token)
          throw portainerError({
            kind: "unsupported",
            operation: { action: "read", resource: "user", id: "me" },
            method: "GET",
            path: "/api/users/me",
            serverMessage: "Portainer before 2.20 needs a password login to tell who the user is",
          });
        const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
          id: number;
          username: string;
          role: number;
        };
        return { Id: claims.id, Username: claims.username, Role: claims.role };
      }
      return t.send({
        method: "GET",
        path: "/users/me",
        auth: "any",
        op: { action: "read", resource: "user", id: "me" },
        ok: [200],
        parse: (b) => s.user.parse(b),
        retry: "idempotent",
      });
    },

    /**
     * Creates an API key for `userId` (the caller itself). Needs the JWT of a password login and, on
     * 2.20+, the password again. Never retried: the raw key is shown only in this answer.
     */
    createApiKey: async (userId: number, description: string, password: string): Promise<ApiKeyCreated> => {
      const json = compareVersions(await t.version(), "2.20.0") < 0 ? { description } : { description, password };
      return t.send({
        method: "POST",
        path: `/users/${userId}/tokens`,
        auth: "jwt",
        op: { action: "create", resource: "API key", id: description },
        json,
        ok: [200, 201],
        parse: (b) => s.apiKeyCreated.parse(b),
        retry: "never",
      });
    },

    listApiKeys: (userId: number): Promise<ApiKey[]> =>
      t.send({
        method: "GET",
        path: `/users/${userId}/tokens`,
        auth: "any",
        op: { action: "list", resource: "API keys", id: `of user ${userId}` },
        ok: [200],
        parse: listOf(s.apiKey),
        retry: "idempotent",
      }),

    /**
     * Deletes an API key. Portainer answers an unknown key id with 500 "API Key not found": `isNotFound` is true for
     * it.
     */
    deleteApiKey: async (userId: number, keyId: number): Promise<void> => {
      await t.send({
        method: "DELETE",
        path: `/users/${userId}/tokens/${keyId}`,
        auth: "any",
        op: { action: "delete", resource: "API key", id: keyId },
        ok: [204],
        retry: "idempotent",
      });
    },
  };
}
