/** A throwaway self-signed certificate for 127.0.0.1/localhost, made by openssl (CI installs it) for TLS tests. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Throws (failing the test) when openssl is missing: CI installs it, so a TLS test never passes without TLS. */
export function makeCertificate(keyType: "rsa" | "ec" = "rsa"): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "gw-tls-"));
  try {
    const result = spawnSync(
      "openssl",
      ["req", "-x509", ...(keyType === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]), "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      { encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr || result.error}`);
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
