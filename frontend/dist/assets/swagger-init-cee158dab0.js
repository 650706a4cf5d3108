// Starts Swagger UI on the server's own spec. validatorUrl: null stops it from sending the spec to the public
// validator (the page must work offline and send nothing elsewhere).
(function () {
  "use strict";
  var ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    tryItOutEnabled: false,
    onComplete: function () {
      // Signed in on the dashboard? Then "Try it out" can use the same bearer token.
      var token = null;
      try {
        token = window.localStorage.getItem("token");
      } catch (e) {
        token = null;
      }
      if (token) ui.preauthorizeApiKey("bearerAuth", token);
    },
  });
  window.ui = ui;
})();
