// The `debug` package for bundles that run the simulated broker (mqtt-packet) in XS (sim/soak-xs.ts): every
// namespace is a logger that does nothing. The real one wants `console`, which xsnap does not have.
module.exports = function createDebug() {
  const log = function () {};
  log.enabled = false;
  return log;
};
