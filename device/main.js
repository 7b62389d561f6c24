// Moddable's main module: the whole firmware lives in the rollup bundle ("gateway"); this only starts it. start()
// boots each time it is called (the preloaded gateway module keeps no "already started" state); main runs once.
import { start } from "gateway";

start();
