import { world } from "./world";

const Time = {
  set(seconds: number): void {
    world.wallSetSeconds = seconds;
  },
  get ticks(): number {
    return world.now | 0;
  },
  delta(start: number, end?: number): number {
    return ((end === undefined ? world.now | 0 : end) - start) | 0;
  },
};

export default Time;
