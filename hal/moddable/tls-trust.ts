import config from "mc/config";
import Resource from "Resource";

/**
 * What the SDK's TLS trusts for the platform link, besides its own CA index: `tlsTrust` in the manifest's config
 * names one DER certificate among the app's resources (manifest "resources"), for a platform whose broker
 * certificate is issued by a private CA, or to pin the platform's CA. The SDK's TLS registers it as a trust anchor
 * (modules/crypt/ssl/ssl_cert.js, option `certificate`), checking its validity dates against the clock.
 *
 * Read at HAL creation, never at module top level. A misnamed resource stops the boot with the name in the error,
 * rather than failing every TLS handshake later.
 */
export function tlsSecureOptions(): Record<string, unknown> {
  const name = (config as { tlsTrust?: unknown }).tlsTrust;
  if (name === undefined || name === "") return {};
  if (typeof name !== "string" || !name.endsWith(".der")) throw new Error(`config tlsTrust: must name a .der certificate resource, got ${String(name)}`);
  if (!Resource.exists(name)) throw new Error(`config tlsTrust: no resource "${name}" in this build (list it in the manifest's resources)`);
  // A RAM copy (about 1 KB): the TLS code decodes it with typed-array views at every handshake.
  return { certificate: new Resource(name).slice(0) };
}
