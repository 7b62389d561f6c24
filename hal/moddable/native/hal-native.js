// Hardware hooks for hal/moddable/system.ts (see hal-native.c). Host functions only: nothing runs at load.
export function fillRandom(buffer, offset, length) @ "xs_hal_fill_random";
export function taskWatchdog(timeoutMs) @ "xs_hal_task_watchdog";
