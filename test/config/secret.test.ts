// Proves: a Secret never renders its value through String, JSON or util.inspect, and reveals it only when decrypted.
import { inspect } from "node:util";
import { Secret } from "../../config/secret";

describe("Secret", () => {
  const s = Secret.of("hunter2-hunter2", "phoenix:portainer.admin_password");

  it.each([
    ["String()", () => String(s)],
    ["template literal", () => `${s}`],
    ["JSON.stringify", () => JSON.stringify({ s })],
    ["util.inspect", () => inspect({ nested: { s } })],
  ])("renders [secret] through %s", (_how, render) => {
    const text = render();
    expect(text).toContain("[secret]");
    expect(text).not.toContain("hunter2");
  });

  it("reveals a decrypted value", () => {
    expect(s.isDecrypted).toBe(true);
    expect(s.reveal()).toBe("hunter2-hunter2");
  });

  it("refuses to reveal an encrypted value, naming its source", () => {
    const e = Secret.encrypted("phoenix:qdrant_api_key");
    expect(e.isDecrypted).toBe(false);
    expect(() => e.reveal()).toThrow("The secret phoenix:qdrant_api_key is encrypted and was not decrypted");
  });
});
