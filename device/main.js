// Moddable's main module: the whole firmware lives in the rollup bundle ("gateway"); this only starts it.
import { start } from "gateway";

start();
