"""The routers of the HTTP service, one module per resource."""
