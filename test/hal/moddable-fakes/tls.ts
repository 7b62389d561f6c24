/** The TLS socket is not exercised by these tests (its session is the SDK's); constructing one is a test bug. */
export default class FakeTls {
  format: "number" | "buffer" = "buffer";
  constructor() {
    throw new Error("fake tls: not available in the adapter tests");
  }
  read(): number {
    return 0;
  }
  write(): void {}
  close(): void {}
}
