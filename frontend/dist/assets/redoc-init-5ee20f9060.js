// Renders ReDoc from the server's own spec, with every asset served by the binary.
(function () {
  "use strict";
  window.Redoc.init(
    "/openapi.json",
    {
      expandResponses: "200,201",
      hideHostname: true,
      theme: { typography: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" } },
    },
    document.getElementById("redoc"),
  );
})();
