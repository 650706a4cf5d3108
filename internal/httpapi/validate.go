package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// authOperations are the public operations about accounts: each is limited per client IP
// (RATE_LIMIT_AUTH), and a sign-in keeps where it came from with its session.
var authOperations = map[string]bool{
	"registerUser": true, "loginUser": true, "createSession": true, "loginUserMfa": true, "createSessionMfa": true,
	"requestPasswordReset": true, "confirmPasswordReset": true, "confirmEmailVerification": true,
}

// operation is what the middleware needs to know about one route of the spec.
type operation struct {
	id        string
	route     *routers.Route
	public    bool // the spec's security is empty: no token needed
	jsonBody  bool
	multipart bool
	authRoute bool // register, the sign-ins with their second steps, and the email links: rate limited per client IP
	// userToken: a signed-in user's token may call it. keyScopes: a project key with any one of these
	// scopes may (none: keys may not).
	userToken bool
	// userCookie: the dashboard's session cookie may authenticate it (with CSRF checks).
	userCookie bool
	keyScopes  []string
	// projectParam: the path names a project, which a key must own.
	projectParam bool
	// openAI: errors take OpenAI's shape, for OpenAI SDKs.
	openAI bool
	// callsUpstream: it may wait on OpenAI (the document lists 502 or 504), so it keeps its own deadlines.
	callsUpstream bool
	// maxBody is the document's x-max-body-bytes: a JSON body this operation takes beyond MAX_BODY_BYTES
	// (0: none).
	maxBody int64
}

// Security schemes of api/openapi.yaml.
const (
	schemeUser   = "bearerAuth"
	schemeCookie = "sessionCookie"
	schemeKey    = "projectKey"
)

// operations indexes the spec by Echo route ("GET /projects/:project_id"), so the middleware can find
// the operation Echo already routed to without a second routing pass.
type operations map[string]*operation

func newOperations(doc *openapi3.T) operations {
	ops := operations{}
	for path, item := range doc.Paths.Map() {
		echoPath := path
		for _, p := range item.Parameters {
			echoPath = strings.ReplaceAll(echoPath, "{"+p.Value.Name+"}", ":"+p.Value.Name)
		}
		for method, op := range item.Operations() {
			for _, p := range op.Parameters {
				echoPath = strings.ReplaceAll(echoPath, "{"+p.Value.Name+"}", ":"+p.Value.Name)
			}
			o := &operation{
				id:            op.OperationID,
				route:         &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
				authRoute:     authOperations[op.OperationID],
				projectParam:  strings.Contains(path, "{project_id}"),
				openAI:        strings.HasPrefix(path, "/v1/"),
				callsUpstream: op.Responses.Value("502") != nil || op.Responses.Value("504") != nil,
			}
			if n, ok := op.Extensions["x-max-body-bytes"].(float64); ok {
				o.maxBody = int64(n)
			}
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			o.public = len(security) == 0
			for _, req := range security {
				if _, ok := req[schemeUser]; ok {
					o.userToken = true
				}
				if _, ok := req[schemeCookie]; ok {
					o.userCookie = true
				}
				o.keyScopes = append(o.keyScopes, req[schemeKey]...)
			}
			if op.RequestBody != nil {
				o.jsonBody = op.RequestBody.Value.Content.Get("application/json") != nil
				o.multipart = op.RequestBody.Value.Content.Get("multipart/form-data") != nil
			}
			// authenticate has checked the credentials already (from the flags above), so requests are
			// validated against a copy of the operation without security: kin-openapi's security check
			// would only copy the whole body into memory (for authentication functions that might read
			// it), which would buffer an upload that streams to its handler, and cost every JSON request.
			unsecured := *op
			unsecured.Security = &openapi3.SecurityRequirements{}
			route := *o.route
			route.Operation = &unsecured
			o.route = &route
			ops[method+" "+echoPath] = o
		}
	}
	return ops
}

const operationKey = "operation"

// uploadReadTimeout bounds reading one file upload (MAX_UPLOAD_MB at ≥ 35 KiB/s for the default 20 MiB).
const uploadReadTimeout = 10 * time.Minute

// resolveOperation tags the request with its spec operation; requests outside the spec (the dashboard,
// the docs, unknown paths) carry none and skip the API middleware.
func (ops operations) resolve(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if op := ops[c.Request().Method+" "+c.Path()]; op != nil {
			c.Set(operationKey, op)
		}
		return next(c)
	}
}

// coverRoutes checks, at start-up, that every API route has its spec operation: a handler the
// middleware could not match would skip authentication. This is what makes the auth fail closed.
func (ops operations) coverRoutes(routes []*echo.Route) error {
	for _, r := range routes {
		if ops[r.Method+" "+r.Path] == nil {
			return fmt.Errorf("openapi: route %s %s has no operation in api/openapi.yaml", r.Method, r.Path)
		}
	}
	return nil
}

// onlyPagesBesides checks that every route outside the spec is a page or document (GET or HEAD):
// nothing that changes state is served without the spec's security.
func (ops operations) onlyPagesBesides(routes []*echo.Route) error {
	for _, r := range routes {
		if ops[r.Method+" "+r.Path] == nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
			return fmt.Errorf("httpapi: %s %s is neither in api/openapi.yaml nor a page", r.Method, r.Path)
		}
	}
	return nil
}

func operationOf(c echo.Context) *operation {
	op, _ := c.Get(operationKey).(*operation)
	return op
}

// The document's `format: email` means what the auth service accepts (after trimming and lower-casing),
// so the validator and registration apply one rule. kin-openapi keeps formats in a package-level table.
func init() {
	openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
		return auth.ValidateEmail(auth.NormalizeEmail(s))
	}))
}

var validationOptions = &openapi3filter.Options{
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // never called: operations are validated without security
	KeepValidatedValue: true,
	MultiError:         true,
}

// validateRequest checks a request against the spec: body size, content type, UTF-8, parameters and
// the JSON body's schema. Multipart bodies are checked by their handler while streaming.
func validateRequest(maxBody, maxUpload int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op := operationOf(c)
			if op == nil {
				return next(c)
			}
			req := c.Request()
			input := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams(c), Route: op.route, Options: validationOptions}
			switch {
			case op.multipart:
				// An upload may take longer than HTTP_READ_TIMEOUT and HTTP_WRITE_TIMEOUT allow a JSON request
				// (the write deadline runs from the start of the request too).
				rc := http.NewResponseController(c.Response())
				rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
				rc.SetWriteDeadline(time.Now().Add(uploadReadTimeout + time.Minute))
				mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
				if mt != echo.MIMEMultipartForm {
					return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type must be multipart/form-data")
				}
				if err != nil || params["boundary"] == "" {
					return echo.NewHTTPError(http.StatusBadRequest,
						"Content-Type multipart/form-data needs a valid boundary parameter, e.g. multipart/form-data; boundary=XyZ")
				}
				req.Body = http.MaxBytesReader(c.Response(), req.Body, maxUpload)
				input.Options = &openapi3filter.Options{ExcludeRequestBody: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
			case op.jsonBody:
				if err := readJSONBody(req, max(maxBody, op.maxBody)); err != nil {
					return err
				}
			}
			if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
				return requestError(err)
			}
			return next(c)
		}
	}
}

func pathParams(c echo.Context) map[string]string {
	names := c.ParamNames()
	if len(names) == 0 {
		return nil
	}
	params := make(map[string]string, len(names))
	for i, n := range names {
		params[n] = c.ParamValues()[i]
	}
	return params
}

// readJSONBody reads a JSON body into memory within the size limit, so it can be checked for valid
// UTF-8 (encoding/json would silently replace bad bytes) before it is decoded.
func readJSONBody(req *http.Request, limit int64) error {
	if req.ContentLength > limit {
		return tooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the request body")
	}
	if int64(len(body)) > limit {
		return tooLarge(limit)
	}
	if len(body) > 0 { // an empty body is reported as missing by the schema check
		if mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationJSON {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		}
		if !utf8.Valid(body) {
			return model.Invalid("body", "must be valid UTF-8")
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

func tooLarge(limit int64) error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large (limit %s)", byteSize(limit)))
}

func byteSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// requestError turns kin-openapi's validation errors into a ValidationError naming each field.
func requestError(err error) error {
	var verr model.ValidationError
	for _, e := range flatten(err) {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			verr.Fields = append(verr.Fields, model.FieldError{Field: "request", Message: e.Error()})
			continue
		}
		var pe *openapi3filter.ParseError
		switch {
		case re.Parameter != nil:
			verr.Fields = append(verr.Fields, model.FieldError{Field: re.Parameter.Name, Message: parameterMessage(re)})
		case errors.As(re.Err, &pe):
			verr.Fields = append(verr.Fields, model.FieldError{Field: "body", Message: "is not valid JSON"})
		case re.Err == nil || errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			verr.Fields = append(verr.Fields, model.FieldError{Field: "body", Message: "is required"})
		default:
			for _, se := range flatten(re.Err) {
				verr.Fields = append(verr.Fields, schemaField(se))
			}
		}
	}
	return &verr
}

// flatten expands kin-openapi's MultiError (only at this level: errors.As would dig through and
// drop the RequestError around it).
func flatten(err error) []error {
	if multi, ok := err.(openapi3.MultiError); ok {
		var out []error
		for _, e := range multi {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func parameterMessage(re *openapi3filter.RequestError) string {
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		return se.Reason
	}
	if t := re.Parameter.Schema; t != nil && t.Value != nil && t.Value.Type.Is("integer") {
		return "must be a positive integer"
	}
	return "is invalid"
}

func schemaField(err error) model.FieldError {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return model.FieldError{Field: "body", Message: err.Error()}
	}
	// A property written as allOf (a shared schema with its own description) fails inside it: report
	// the inner limit, which carries the same path.
	for se.SchemaField == "allOf" && se.Origin != nil {
		var inner *openapi3.SchemaError
		if !errors.As(se.Origin, &inner) {
			break
		}
		se = inner
	}
	path := se.JSONPointer()
	message := schemaMessage(se)
	if m := unknownProperty.FindStringSubmatch(se.Reason); m != nil {
		if name, err := strconv.Unquote(m[1]); err == nil {
			path, message = append(path, name), "is not a known field"
		}
	}
	field := jsonPath(path)
	if field == "" {
		field = "body"
	}
	return model.FieldError{Field: field, Message: message}
}

// jsonPath writes a JSON pointer's parts as a path a person reads: prompts[2].content.
func jsonPath(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 64); err == nil && b.Len() > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(p)
	}
	return b.String()
}

// unknownProperty matches kin-openapi's reason for a field that additionalProperties: false refuses.
var unknownProperty = regexp.MustCompile(`^property ("(?:[^"\\]|\\.)*") is unsupported$`)

// schemaMessage says what a limit of the document means, in the words the services use.
func schemaMessage(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return se.Reason
	}
	switch se.SchemaField {
	case "minLength":
		if s.MinLength == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters", s.MinLength)
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters", *s.MaxLength)
		}
	case "minimum", "maximum":
		switch {
		case s.Min != nil && s.Max != nil:
			return fmt.Sprintf("must be between %s and %s", number(*s.Min), number(*s.Max))
		case s.Min != nil:
			return "must be at least " + number(*s.Min)
		case s.Max != nil:
			return "must be at most " + number(*s.Max)
		}
	case "format":
		if s.Format == "email" {
			return "is not a valid email address"
		}
	}
	return se.Reason
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
