export { Alarm, ControlCore, CoreDevice, DEFAULT_CONTROL_OPTIONS, GroupSettings, type AlarmListener, type ControlOptions } from "./core";
export { DemandWindow, PeakTracker, WINDOW_MINUTES } from "./demand";
export { ControlGroup } from "./group";
export { ControlLoop, DEFAULT_LOOP_CONFIG, alarmName, type ControlHal, type ControlLoopConfig, type ControlStatus } from "./loop";
export { Kind, Solver, SolverSlot } from "./solver";
export * from "./strategy-input";
