import { world } from "./world";

/** Name -> address table of the fake DNS; anything else does not resolve. */
export const dns: Record<string, string> = { "broker.example": "10.0.0.5" };

const System = {
  resolve(name: string, callback: (name: string, address: string | undefined) => void): void {
    world.post(() => callback(name, dns[name]));
  },
  restart(): void {
    world.restarts++;
  },
};

export default System;
