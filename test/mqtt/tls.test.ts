/**
 * mqtts:// end to end on the host: the session asks the HAL for TLS, the Node HAL wraps node:tls, aedes listens
 * behind a TLS server with a certificate made for this test by openssl (part of the base system; CI has it).
 */
import { createServer as createTlsServer } from "node:tls";
import test from "ava";
import { Aedes } from "aedes";
import { makeCertificate } from "../helpers/certificate";
import { freePort, until } from "./helpers/real-broker";
import { nodeSession } from "./helpers/real-scenarios";
import { OutRoute } from "../../src/protocol/topics";

test("mqtts:// connects through node:tls with certificate checks, and refuses an untrusted broker", async (t) => {
  const { key, cert } = makeCertificate();
  const broker = await Aedes.createBroker();
  const server = createTlsServer({ key, cert }, broker.handle);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const trusted = nodeSession(port, {}, { ca: cert });
  const untrusted = nodeSession(port, {}, { ca: "" });
  try {
    trusted.session.start();
    t.true(await until(() => trusted.online === 1, 5000), trusted.log.join("\n"));
    t.is(trusted.session.status().broker, `mqtts://127.0.0.1:${port}`);
    trusted.session.publishText(OutRoute.OverdemandListPost, "over tls", 1);
    t.true(await until(() => trusted.session.queuedUplinks === 0, 5000));
    untrusted.session.start();
    t.true(await until(() => untrusted.session.counters.value("mqtt_connect_failures") >= 1, 5000));
    t.is(untrusted.online, 0);
    t.regex(untrusted.session.lastError, /certificate|self.signed|unable to verify/i);
  } finally {
    trusted.close();
    untrusted.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});
