package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"mailbridge/ent"
	"mailbridge/ent/privacy"
	"mailbridge/internal/apperr"
)

// errorPresenter turns every error into one with a stable extensions.code
// (and extensions.id, and extensions.field for validation errors). Public
// errors (apperr) keep their message; ent errors are mapped; GraphQL
// parse/validation errors keep gqlparser's message; anything else is
// INTERNAL with a generic message and its cause logged — raw Go or SQL text
// never reaches a client.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		pub := classify(ctx, err, gerr)
		switch pub.Kind {
		case apperr.KindInternal:
			log.ErrorContext(ctx, "graphql: internal error", "error", err, "path", gerr.Path.String())
		case apperr.KindUnavailable:
			log.WarnContext(ctx, "graphql: request stopped by its deadline", "error", err, "path", gerr.Path.String())
		}
		gerr.Message = pub.Message
		gerr.Extensions = map[string]any{"code": string(pub.Kind), "id": pub.ID}
		if pub.Field != "" {
			gerr.Extensions["field"] = pub.Field
		}
		gerr.Rule = ""
		return gerr
	}
}

// errNotFound is the one answer for objects that are missing or belong to
// someone the viewer may not see: the two are deliberately the same.
var errNotFound = apperr.NotFound("object.notFound", "This object does not exist or you cannot see it.")

// classify maps an error to its public form.
func classify(ctx context.Context, err error, gerr *gqlerror.Error) *apperr.Error {
	if pub, ok := apperr.As(err); ok {
		if pub.Kind == apperr.KindValidation && pub.Field == "" {
			return &apperr.Error{Kind: pub.Kind, ID: pub.ID, Message: pub.Message, Field: inputPath(gerr)}
		}
		return pub
	}
	var (
		notFound   *ent.NotFoundError
		validation *ent.ValidationError
		constraint *ent.ConstraintError
	)
	switch {
	case errors.As(err, &notFound), errors.Is(err, privacy.Deny):
		return errNotFound
	case errors.As(err, &validation):
		return apperr.Validation("input.invalid", validation.Name, "The value of "+validation.Name+" is not valid.")
	case errors.As(err, &constraint):
		return apperr.Conflict("object.conflict", "This change conflicts with existing data (for example a duplicate). Reload and try again.")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errTimeout
	}
	if code, _ := gerr.Extensions["code"].(string); code != "" {
		// gqlgen's own request errors: parse, validation, complexity.
		switch code {
		case "NOT_FOUND": // entgql's node-not-found
			return errNotFound
		case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED":
			return apperr.Validation("graphql."+lowerFirst(code), "", variableMessage(gerr))
		case codeComplexity:
			return apperr.QueryTooCostly("graphql.tooComplex",
				gerr.Message+". Ask for fewer items (a smaller `first`) or fewer fields.")
		}
	}
	if isIntrospectionDisabled(err) {
		return apperr.Validation("graphql.introspectionDisabled", "",
			"Introspection is turned off in production. The schema ships with Mailbridge (graph/*.graphqls).")
	}
	if isArgumentError(ctx) {
		// An argument failed to decode (a bad enum value, cursor or number).
		return apperr.Validation("input.invalid", inputPath(gerr),
			"The value of "+inputPath(gerr)+" is not valid for its type.")
	}
	return errInternal
}

// errInternal is the one answer for unexpected failures; their causes go to
// the log.
var errInternal = &apperr.Error{Kind: apperr.KindInternal, ID: "internal",
	Message: "Something went wrong on our side. It has been logged; try again in a moment."}

// badNumber matches gqlparser's message for a JSON number that does not fit
// the variable's type, which shows a meaningless value ("cannot use value 0
// as Int" for 7.5).
var badNumber = regexp.MustCompile(`^cannot use value \S+ as (\w+)$`)

// variableMessage returns the message of a request error, naming the
// variable for errors about variables' values.
func variableMessage(gerr *gqlerror.Error) string {
	if len(gerr.Path) != 2 || gerr.Path[0] != ast.PathName("variable") {
		return gerr.Message
	}
	name := fmt.Sprint(gerr.Path[1])
	if m := badNumber.FindStringSubmatch(gerr.Message); m != nil {
		if m[1] == "Int" {
			return "Variable $" + name + " must be a whole number (Int), for example 7, not 7.5 or 7.0."
		}
		return "Variable $" + name + " must be a number (" + m[1] + ")."
	}
	return "Variable $" + name + ": " + gerr.Message
}

// isIntrospectionDisabled recognises gqlgen's refusal of __schema and
// __type when extension.Introspection is not installed.
func isIntrospectionDisabled(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ge, ok := e.(*gqlerror.Error); ok && ge.Message == "introspection disabled" {
			return true
		}
		if e.Error() == "introspection disabled" {
			return true
		}
	}
	return false
}

// isArgumentError reports whether the error arose while decoding a field's
// arguments: gqlgen reports those before the field's arguments are set.
func isArgumentError(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Args == nil && len(fc.Field.Arguments) > 0
}

// inputPath names the offending input field from the error path, without
// the field being resolved (e.g. "input.mailboxID").
func inputPath(gerr *gqlerror.Error) string {
	var parts []string
	for _, p := range gerr.Path {
		if name, ok := p.(ast.PathName); ok {
			parts = append(parts, string(name))
		}
	}
	if len(parts) > 1 {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// lowerFirst turns gqlgen's GRAPHQL_PARSE_FAILED into the id style of the
// API, parseFailed (lower camel case, without the GRAPHQL prefix).
func lowerFirst(code string) string {
	parts := strings.Split(strings.ToLower(code), "_")[1:]
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// recoverFunc logs a panic and turns it into an INTERNAL error.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql: panic", "panic", p)
		return errors.New("panic in resolver")
	}
}
