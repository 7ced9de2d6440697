// Package authx lets Kernia's own packages attach to a kernia.Options what its public API does
// not show: the configuration a loader program resolved in the user's module and handed to the
// kernia tool (internal/spec). The root package sets the functions in its init; the values are
// typed any because this package cannot import the root package.
package authx

// Carried is what an instance decoded from a loader program's configuration carries.
type Carried interface {
	// AuthErr is the error the instance's options had in the loader program (Auth.Err), or nil.
	AuthErr() error
}

var (
	// Attach returns the kernia.Options opts carrying c. kernia.New of such options takes
	// c.AuthErr() as the instance's error instead of checking the options again.
	Attach func(opts any, c Carried) any
	// Get returns what the *kernia.Auth a carries, or nil.
	Get func(a any) Carried
)
