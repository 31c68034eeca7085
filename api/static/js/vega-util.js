// 'vega-util' for the ES module of Vega's expression interpreter: the functions it
// imports, taken from the Vega bundle the page has already loaded (window.vega).
const vega = window.vega;
export const ascending = vega.ascending;
export const isString = vega.isString;
export const DisallowedObjectProperties = vega.DisallowedObjectProperties;
