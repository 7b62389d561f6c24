import test from "ava";
import { MAX_URL_LENGTH, parseHttpUrl, resolveLocation } from "../../src/http/url";
import { RequestWriter } from "../../src/http/request";

test("http and https URLs: host, port, Host header, target", (t) => {
  t.deepEqual(parseHttpUrl("https://cdn.example.com/fw/1.2.3.bin?sig=abc&x=1"), {
    tls: true,
    host: "cdn.example.com",
    port: 443,
    hostHeader: "cdn.example.com",
    target: "/fw/1.2.3.bin?sig=abc&x=1",
  });
  t.like(parseHttpUrl("http://10.0.0.5:8080"), { tls: false, host: "10.0.0.5", port: 8080, hostHeader: "10.0.0.5:8080", target: "/" });
  t.like(parseHttpUrl("HTTP://h?q"), { tls: false, host: "h", port: 80, target: "/?q" });
  t.like(parseHttpUrl("https://[2001:db8::1]:8443/x"), { host: "2001:db8::1", port: 8443, hostHeader: "[2001:db8::1]:8443" });
  t.like(parseHttpUrl("http://h:80/a"), { hostHeader: "h" });
});

test("refused URLs name the problem", (t) => {
  const cases: [string, RegExp][] = [
    ["", /must not be empty/],
    ["ftp://h/x", /must start with http:\/\/ or https:\/\//],
    ["https://user:pw@h/x", /credentials/],
    ["https://h/x#frag", /fragment/],
    ["https://h:99999/x", /port 99999 is outside/],
    ["https://h/a b", /percent-encoded at 11/],
    ["https://h/\u00e9", /percent-encoded/],
    ["https:///x", /no valid host/],
    [`https://h/${"a".repeat(MAX_URL_LENGTH)}`, /at most 1024/],
  ];
  for (const [url, message] of cases) t.throws(() => parseHttpUrl(url), { message }, url);
});

test("redirect locations resolve against the origin", (t) => {
  const base = parseHttpUrl("https://a.example:8443/x/y");
  t.is(resolveLocation(base, "https://b.example/z"), "https://b.example/z");
  t.is(resolveLocation(base, "//c.example/z"), "https://c.example/z");
  t.is(resolveLocation(base, "/z?q=1"), "https://a.example:8443/z?q=1");
  t.throws(() => resolveLocation(base, "z"), { message: /not an absolute URL or path/ });
});

test("the request is written byte for byte, and refused when it does not fit", (t) => {
  const buffer = new Uint8Array(300);
  const writer = new RequestWriter(buffer);
  const length = writer.write(parseHttpUrl("http://h:8080/fw.bin"), 1_048_576, 1_114_111, "ua/1");
  t.is(
    new TextDecoder().decode(buffer.subarray(0, length)),
    "GET /fw.bin HTTP/1.1\r\nHost: h:8080\r\nRange: bytes=1048576-1114111\r\nAccept-Encoding: identity\r\nUser-Agent: ua/1\r\nConnection: keep-alive\r\n\r\n",
  );
  const open = writer.write(parseHttpUrl("http://h/"), 0, -1, "u");
  t.regex(new TextDecoder().decode(buffer.subarray(0, open)), /Range: bytes=0-\r\n/);
  const small = new RequestWriter(new Uint8Array(40));
  t.is(small.write(parseHttpUrl("http://h/fw.bin"), 0, 9, "u"), -1);
});
