// Swagger UI for the service's OpenAPI document (the URL is in the page: no inline script).
"use strict";
(function () {
  const host = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: host.dataset.openapi, domNode: host, deepLinking: false });
})();
