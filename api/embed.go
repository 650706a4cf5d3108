// Package api holds the OpenAPI document, the contract every other part is generated from.
package api

import _ "embed"

// OpenAPIYAML is api/openapi.yaml as written, served at /openapi.yaml and used for request validation.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
