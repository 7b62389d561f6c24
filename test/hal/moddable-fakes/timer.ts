import { world, type FakeTimer } from "./world";

const Timer = {
  set(callback: (timer: FakeTimer) => void, interval = 0, repeat = 0): FakeTimer {
    const timer: FakeTimer = { callback, trigger: world.now + interval, repeat, unscheduled: false, alive: true };
    world.timers.push(timer);
    return timer;
  },
  repeat(callback: (timer: FakeTimer) => void, interval: number): FakeTimer {
    return Timer.set(callback, interval, interval);
  },
  schedule(timer: FakeTimer, interval?: number, repeat?: number): void {
    if (!timer.alive) throw new Error("fake timer: schedule of a freed timer");
    if (interval === undefined) {
      timer.unscheduled = true;
      timer.repeat = -1;
      return;
    }
    timer.trigger = world.now + (interval | 0);
    timer.repeat = repeat === undefined ? 0 : repeat | 0;
    timer.unscheduled = false;
  },
  clear(timer: FakeTimer | undefined | null): void {
    if (timer) timer.alive = false;
  },
};

export default Timer;
