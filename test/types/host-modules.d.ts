// Minimal declarations for host-only packages that ship no types, covering just what the tests use.
declare module "@agoric/xsnap" {
  export interface MeterUsage {
    compute: number | null;
    allocate: number | null;
    currentHeapCount: number | null;
  }
  export interface XSnapWorker {
    evaluate(code: string): Promise<{ reply: Uint8Array; meterUsage: MeterUsage }>;
    close(): Promise<void>;
    terminate(): Promise<void>;
  }
  export function xsnap(options: Record<string, unknown>): Promise<XSnapWorker>;
}

declare module "tmp" {
  const tmp: { tmpName: (...args: unknown[]) => void };
  export default tmp;
}
