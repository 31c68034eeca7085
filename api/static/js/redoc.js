// ReDoc for the service's OpenAPI document (the URL is in the page: no inline script).
//
// ReDoc's sidebar shows an "API docs by Redocly" logo loaded from Redocly's site. The
// pages load nothing from elsewhere (and their Content-Security-Policy would block
// it), so an image from another origin is given an empty source instead: it fails
// to load without a request, and ReDoc then leaves the logo out.
"use strict";
(function () {
  function local(value) {
    const url = String(value);
    const elsewhere = !/^(data|blob):/.test(url) &&
      new URL(url, window.location.href).origin !== window.location.origin;
    return elsewhere ? "data:," : value;
  }
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true, enumerable: src.enumerable, get: src.get,
    set(value) { src.set.call(this, local(value)); },
  });
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const image = this instanceof HTMLImageElement && name.toLowerCase() === "src";
    return setAttribute.call(this, name, image ? local(value) : value);
  };
  const host = document.getElementById("redoc");
  Redoc.init(host.dataset.openapi, {}, host);
})();
