package graph

import (
	"context"
	"errors"
	"log/slog"
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
		if pub.Kind == apperr.KindInternal {
			log.ErrorContext(ctx, "graphql: internal error", "error", err, "path", gerr.Path.String())
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
	case errors.Is(err, context.DeadlineExceeded):
		return &apperr.Error{Kind: apperr.KindInternal, ID: "request.timeout", Message: "The request took too long and was stopped. Try again, or ask for less data."}
	}
	if code, _ := gerr.Extensions["code"].(string); code != "" {
		// gqlgen's own request errors: parse, validation, complexity.
		switch code {
		case "NOT_FOUND": // entgql's node-not-found
			return errNotFound
		case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED":
			return apperr.Validation("graphql."+lowerFirst(code), "", gerr.Message)
		case "COMPLEXITY_LIMIT_EXCEEDED":
			return apperr.Validation("graphql.tooComplex", "",
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
	return &apperr.Error{Kind: apperr.KindInternal, ID: "internal",
		Message: "Something went wrong on our side. It has been logged; try again in a moment."}
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

func lowerFirst(code string) string {
	parts := strings.Split(strings.ToLower(code), "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts[1:], "")
}

// recoverFunc logs a panic and turns it into an INTERNAL error.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql: panic", "panic", p)
		return errors.New("panic in resolver")
	}
}
