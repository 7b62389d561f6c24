import test from "ava";
import { alibabaPassword, buildCredentials } from "../../src/mqtt/auth";
import { DEFAULT_MQTT_CONFIG, parseBrokerUrl, resolveMqttConfig } from "../../src/mqtt/config";

const device = { uid: "GW-0001", productKey: "a14Xib5kdYd", deviceName: "light1983432" };

test("broker URLs: schemes, default ports, IPv6, and clear refusals", (t) => {
  t.deepEqual(parseBrokerUrl("mqtt://10.0.0.1"), { host: "10.0.0.1", port: 1883, tls: false });
  t.deepEqual(parseBrokerUrl("mqtts://iot.example.com"), { host: "iot.example.com", port: 8883, tls: true });
  t.deepEqual(parseBrokerUrl("mqtt://[::1]:1884"), { host: "::1", port: 1884, tls: false });
  t.deepEqual(parseBrokerUrl("ssl://h:9"), { host: "h", port: 9, tls: true });
  t.throws(() => parseBrokerUrl("http://h"), { message: /mqtt.broker: "http:\/\/h" is not mqtt:\/\/host\[:port\]/ });
  t.throws(() => parseBrokerUrl("mqtt://h:70000"), { message: /port 70000 outside 1..65535/ });
});

test("config: defaults are valid; unknown keys, wrong types and bad ranges are refused naming the key", (t) => {
  t.deepEqual(resolveMqttConfig({}), DEFAULT_MQTT_CONFIG);
  t.throws(() => resolveMqttConfig({ keepalive: 3 }), { message: /mqtt.keepalive: unknown key/ });
  t.throws(() => resolveMqttConfig({ keepAliveSec: "60" }), { message: /mqtt.keepAliveSec: must be a number/ });
  t.throws(() => resolveMqttConfig({ auth: "kerberos" }), { message: /mqtt.auth: must be one of none, password, alibaba/ });
  t.throws(() => resolveMqttConfig({ auth: "alibaba" }), { message: /mqtt.deviceSecret: must be set/ });
  t.throws(() => resolveMqttConfig({ auth: "alibaba", deviceSecret: "s", keepAliveSec: 20 }), { message: /mqtt.keepAliveSec: must be an integer between 30 and 1200/ });
  t.throws(() => resolveMqttConfig({ inflightWindow: 100, outboxEntries: 10 }), { message: /mqtt.inflightWindow/ });
  t.throws(() => resolveMqttConfig({ reconnectMaxMs: 10, reconnectMinMs: 1000 }), { message: /mqtt.reconnectMaxMs/ });
  t.throws(() => resolveMqttConfig({ maxPacketBytes: 100 }), { message: /mqtt.maxPacketBytes/ });
});

test("Alibaba signature reproduces the vectors in the notes (SHA-256 and SHA-1)", (t) => {
  const secret = "oLyaKqVxtRvjH284LdhqVgVUx1UPy6zq";
  t.is(alibabaPassword(secret, "hmacsha256", "SN1928339", "light1983432", "a14Xib5kdYd", 1539421321846), "e6ad631b665206c0bf2efbe1b48ac4d84ff2a61fe89bac30065e17975a482c40");
  t.is(alibabaPassword(secret, "hmacsha1", "SN1928339", "light1983432", "a14Xib5kdYd", 1539421321846), "b2488041f64f425016b467ee1c94959ebd592ad1");
});

test("credentials per auth mode; securemode 2 with TLS; no timestamp while the clock is unsynced", (t) => {
  const base = resolveMqttConfig({ auth: "alibaba", deviceSecret: "oLyaKqVxtRvjH284LdhqVgVUx1UPy6zq", clientId: "SN1928339" });
  const tcp = buildCredentials(base, device, false, 1539421321846);
  t.deepEqual(tcp, {
    clientId: "SN1928339|securemode=3,signmethod=hmacsha256,timestamp=1539421321846|",
    username: "light1983432&a14Xib5kdYd",
    password: "e6ad631b665206c0bf2efbe1b48ac4d84ff2a61fe89bac30065e17975a482c40",
  });
  t.is(buildCredentials(base, device, true, 1539421321846).clientId, "SN1928339|securemode=2,signmethod=hmacsha256,timestamp=1539421321846|");
  const unsynced = buildCredentials({ ...base, signMethod: "hmacsha1" }, device, false, null);
  t.is(unsynced.clientId, "SN1928339|securemode=3,signmethod=hmacsha1|");
  t.is(unsynced.password, alibabaPassword(base.deviceSecret, "hmacsha1", "SN1928339", "light1983432", "a14Xib5kdYd", null));
  t.deepEqual(buildCredentials(resolveMqttConfig({ auth: "password", username: "u", password: "p" }), device, false, 0), { clientId: "GW-0001", username: "u", password: "p" });
  t.deepEqual(buildCredentials(resolveMqttConfig({}), device, false, 0), { clientId: "GW-0001" });
});
