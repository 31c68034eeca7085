// Loads Vega's expression interpreter (an ES module) for charts.js, so that Vega
// evaluates expressions without eval, which the pages' Content-Security-Policy forbids.
import { expressionInterpreter } from "vega-interpreter";  // resolved by the import map

window.vegaExpressionInterpreter = expressionInterpreter;
