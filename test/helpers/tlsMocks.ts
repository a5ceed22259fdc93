/**
 * What a mocked `@pulumi/tls` resource returns: fixed PEM-shaped text named after the resource, so programs under
 * `setMocks` get the certificate and key outputs they interpolate (the real provider needs the Pulumi CLI).
 */
export function tlsMockOutputs(type: string, name: string): Record<string, unknown> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: `-----BEGIN EC PRIVATE KEY-----\nmock-${name}\n-----END EC PRIVATE KEY-----\n` };
    case "tls:index/certRequest:CertRequest":
      return {
        certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nmock-${name}\n-----END CERTIFICATE REQUEST-----\n`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: `-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----\n` };
    default:
      return {};
  }
}
